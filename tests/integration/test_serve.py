"""``moodline-local serve``: the local stack answers on 127.0.0.1 exactly as API Gateway routes, over real HTTP."""

from __future__ import annotations

import io
import urllib.error
import urllib.request

import pytest

from moodline_local.serve import serving
from moodline_local.stack import LOCAL_FROM_NUMBER, free_port
from tests.conftest import ROOT


@pytest.mark.slow
def test_serve_answers_signed_texts_and_routes_like_api_gateway():
    # Given the served stack (moto in server mode) seeded with the demo roster
    with serving(ROOT, port=free_port(), log_stream=io.StringIO()) as stack:
        # When a client texts through the signed webhook, and someone posts unsigned, and a wrong path
        ok = stack.twilio.post_inbound(stack.inbound_url, to=LOCAL_FROM_NUMBER, from_="+15550100001", body="7")
        forged = stack.twilio.post_signed(stack.inbound_url, {"From": "+15550100001", "Body": "7"}, sign=False)
        with pytest.raises(urllib.error.HTTPError) as missing:
            urllib.request.urlopen(f"{stack.base_url}/nope")

        # Then the client gets TwiML, the forgery 403, the unknown route 404 (API Gateway's answer)
        assert ok[0] == 200 and "<Message>Gracias, Ana" in ok[1]
        assert forged[0] == 403
        assert missing.value.code == 404
        missing.value.close()
