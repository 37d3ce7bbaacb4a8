"""Moodline: daily SMS mood check-ins with a human coach beside every automated flag."""

__version__ = "0.1.0"
