"""The Twilio adapter: the only code in Moodline that imports ``twilio``.

- :mod:`.webhook` - signature validation, form parsing into domain values, TwiML rendering
  (imports only ``twilio.request_validator`` and ``twilio.twiml``: the webhook's cold start stays light);
- :mod:`.rest` - sending SMS through the Messages API (imports ``twilio.rest``, ~120 ms, lazily);
- :mod:`.codes` - Twilio's error codes sorted into :class:`~moodline.vocabulary.Refusal`, and the
  order of its delivery statuses (pure, no ``twilio`` import).

Another SMS provider would be a sibling package implementing the same ports
(:class:`~moodline.ports.SmsSender`, :class:`~moodline.ports.AnswerRenderer`) and parsers.
"""
