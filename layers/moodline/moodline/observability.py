"""Logger and Metrics, created once for every function (service name and namespace come from the template)."""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics

# Never pass phone numbers or message text to these: log ids (client_id, MessageSid, alert_id) only.
logger = Logger(service="moodline")
metrics = Metrics(namespace="Moodline", service="moodline")
