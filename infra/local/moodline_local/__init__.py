"""Moodline's local, offline stack: dev-only code that never ships in a Lambda artifact."""
