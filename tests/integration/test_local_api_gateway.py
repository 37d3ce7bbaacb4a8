"""The local stack's HTTP front answers malformed requests and unrouted methods as API Gateway does."""

from __future__ import annotations

import http.client
import json
from typing import Any

import pytest

from moodline.adapters.dynamodb import MessageRow

MISSING_TOKEN = {"message": "Missing Authentication Token"}


def _send(stack: Any, method: str, path: str, headers: dict[str, str], body: bytes = b"") -> tuple[int, bytes]:
    """One raw HTTP request (headers exactly as given), with a timeout so a hung server fails the test."""
    connection = http.client.HTTPConnection("127.0.0.1", stack.http_port, timeout=5)
    try:
        connection.putrequest(method, path, skip_accept_encoding=True)
        for name, value in headers.items():
            connection.putheader(name, value)
        connection.endheaders(body or None)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


@pytest.mark.parametrize("length", ["abc", "-1", "+5", "1e3"])
def test_a_content_length_that_is_not_a_byte_count_gets_400_and_reaches_no_function(stack, length):
    # Given the local stack's webhook URL
    # When a POST arrives whose Content-Length is not a count of bytes
    status, body = _send(stack, "POST", "/twilio/inbound",
                         {"Content-Type": "application/x-www-form-urlencoded", "Content-Length": length},
                         b"Body=7&From=%2B15550100001")

    # Then it is answered 400 in JSON (not a dropped connection, not a thread left waiting), and nothing is stored
    assert status == 400 and json.loads(body) == {"message": "Bad Request"}
    assert list(MessageRow.scan()) == []


def test_two_content_lengths_that_disagree_get_400(stack):
    # Given the local stack's webhook URL
    # When a POST carries two different Content-Length headers
    connection = http.client.HTTPConnection("127.0.0.1", stack.http_port, timeout=5)
    try:
        connection.putrequest("POST", "/twilio/inbound")
        connection.putheader("Content-Length", "3")
        connection.putheader("Content-Length", "4")
        connection.endheaders(b"abcd")
        response = connection.getresponse()
        status = response.status
    finally:
        connection.close()

    # Then it is refused: which body to read is unknown
    assert status == 400


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH", "OPTIONS"])
def test_a_method_with_no_route_gets_api_gateways_403_json(stack, method):
    # Given routes that take GET or POST only
    # When another method is sent to a routed path and to the workspace
    inbound = _send(stack, method, "/twilio/inbound", {"Content-Length": "0"})
    workspace = _send(stack, method, "/coach/alerts/al_1", {"Content-Length": "0"})

    # Then each gets API Gateway's answer, 403 with its JSON message, never a 501 HTML page
    assert inbound == workspace == (403, json.dumps(MISSING_TOKEN, separators=(",", ":")).encode())


def test_head_with_no_route_gets_403_with_headers_only(stack):
    # Given routes that take GET or POST only
    # When a HEAD request arrives
    connection = http.client.HTTPConnection("127.0.0.1", stack.http_port, timeout=5)
    try:
        connection.request("HEAD", "/twilio/inbound")
        response = connection.getresponse()
        status, content_type, body = response.status, response.getheader("content-type"), response.read()
    finally:
        connection.close()

    # Then it is API Gateway's 403, in JSON, and no body follows the headers
    assert (status, content_type, body) == (403, "application/json", b"")


def test_blank_query_values_reach_the_function_as_api_gateway_passes_them(stack, monkeypatch):
    # Given every event a function receives recorded
    events: list[dict[str, Any]] = []
    invoke = stack.runtime.invoke

    def recorded(logical_id: str, event: dict[str, Any]) -> Any:
        events.append(event)
        return invoke(logical_id, event)

    monkeypatch.setattr(stack.runtime, "invoke", recorded)

    # When a workspace page is asked for with blank query values
    _send(stack, "GET", "/coach/?coach=&view&page=2", {})

    # Then the blank values are in the event, as API Gateway keeps them
    [event] = events
    assert event["queryStringParameters"] == {"coach": "", "view": "", "page": "2"}
    assert event["multiValueQueryStringParameters"] == {"coach": [""], "view": [""], "page": ["2"]}
