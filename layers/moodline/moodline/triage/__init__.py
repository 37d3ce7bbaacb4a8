"""Triage: read one SMS reply, extract the 1-10 mood and decide whether a human must see it.

Import from the modules, not from this package, so that a function pays only for what it uses:
``moodline.triage.model`` (types, cheap), ``moodline.triage.adherence`` (cheap),
``moodline.triage.engine`` (the rules: loaded from ``triage/rules/`` and compiled on the first assessment).
See docs/triage.md.
"""
