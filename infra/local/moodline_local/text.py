"""Send an SMS to ``moodline-local serve`` as Twilio would: a signed webhook from a client's number."""

from __future__ import annotations

import argparse
import os

from moodline_local.stack import DEFAULT_AUTH_TOKEN, LOCAL_ACCOUNT_SID, LOCAL_FROM_NUMBER
from moodline_local.twilio_standin import TwilioStandIn


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("body")
    parser.add_argument("--from", dest="sender", required=True, help="the client's E.164 number")
    parser.add_argument("--port", type=int, default=8787)
    args = parser.parse_args()
    twilio = TwilioStandIn(LOCAL_ACCOUNT_SID, os.environ.get("TWILIO_AUTH_TOKEN") or DEFAULT_AUTH_TOKEN)
    status, body = twilio.post_inbound(f"http://127.0.0.1:{args.port}/twilio/inbound",
                                       to=LOCAL_FROM_NUMBER, from_=args.sender, body=args.body)
    print(status, body)
    return 0 if status == 200 else 1


if __name__ == "__main__":
    raise SystemExit(main())
