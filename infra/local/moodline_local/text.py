"""Send an SMS to ``moodline-local serve`` as Twilio would: a signed webhook from a client's number."""

from __future__ import annotations

import argparse
import os
import sys

from moodline_local.stack import DEFAULT_AUTH_TOKEN, LOCAL_ACCOUNT_SID, LOCAL_FROM_NUMBER
from moodline_local.twilio_standin import TwilioStandIn


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("body")
    parser.add_argument("--from", dest="sender", required=True, help="the client's E.164 number")
    parser.add_argument("--port", type=int, help="the serve's API port (default: the running serve's, else 8787)")
    args = parser.parse_args()
    port = args.port or _serving_port() or 8787
    twilio = TwilioStandIn(LOCAL_ACCOUNT_SID, os.environ.get("TWILIO_AUTH_TOKEN") or DEFAULT_AUTH_TOKEN)
    try:
        status, body = twilio.post_inbound(f"http://127.0.0.1:{port}/twilio/inbound",
                                           to=LOCAL_FROM_NUMBER, from_=args.sender, body=args.body)
    except OSError as exc:  # URLError is one: nothing listens there
        print(f"moodline_local.text: no moodline-local serve answers on 127.0.0.1:{port} "
              f"({getattr(exc, 'reason', exc)}): start one (make serve) or pass --port", file=sys.stderr)
        return 2
    print(status, body)
    return 0 if status == 200 else 1


def _serving_port() -> int | None:
    """The API port of the serve whose state file is the default one ($MOODLINE_LOCAL_STATE), if it runs."""
    from moodline_local.serve import default_state_path, read_state

    try:
        return int(read_state(default_state_path())["ports"]["api"])
    except (SystemExit, OSError, ValueError, KeyError, TypeError):
        return None


if __name__ == "__main__":
    raise SystemExit(main())
