"""The partial-batch loop and the HTTP response that replace Powertools' batch and event_handler packages."""

from __future__ import annotations

from moodline.handling import HttpResponse, partial_batch, sqs_message_id, stream_sequence_number


def test_only_the_records_that_raised_are_reported_for_retry_and_the_rest_are_all_handled():
    # Given three queue messages, the second of which fails
    records = [{"messageId": "m1", "body": "a"}, {"messageId": "m2", "body": "boom"}, {"messageId": "m3", "body": "c"}]
    handled = []

    def handle(record):
        if record["body"] == "boom":
            raise RuntimeError("+15550100002 refused")  # an error message may quote a phone number
        handled.append(record["messageId"])

    # When the batch is processed
    result = partial_batch(records, handle, sqs_message_id)

    # Then the others were handled, and only the failed one goes back to Lambda
    assert handled == ["m1", "m3"]
    assert result == {"batchItemFailures": [{"itemIdentifier": "m2"}]}


def test_a_stream_record_is_identified_by_its_sequence_number_and_a_clean_batch_reports_nothing():
    records = [{"dynamodb": {"SequenceNumber": "100"}}]
    assert stream_sequence_number(records[0]) == "100"
    assert partial_batch(records, lambda r: None, stream_sequence_number) == {"batchItemFailures": []}


def test_the_failure_log_names_the_error_type_and_record_never_the_message(monkeypatch):
    from moodline import handling

    logged: list[tuple[str, dict[str, object]]] = []
    monkeypatch.setattr(handling.logger, "warning", lambda msg, **fields: logged.append((msg, fields)))

    def handle(record):
        raise ValueError("text from +15550100002")

    partial_batch([{"messageId": "m9"}], handle, sqs_message_id)
    assert logged == [("record failed", {"item": "m9", "error": "ValueError"})]


def test_a_proxy_result_carries_status_body_and_content_type_with_the_extra_headers():
    result = HttpResponse(200, "<Response/>", "application/xml", {"Cache-Control": "no-store"}).proxy_result()
    assert result == {"statusCode": 200, "body": "<Response/>", "isBase64Encoded": False,
                      "headers": {"Content-Type": "application/xml", "Cache-Control": "no-store"}}
