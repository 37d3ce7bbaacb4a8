"""The Lambda layer carries what the functions import, and no ops or dev code."""

from __future__ import annotations

import sys

from tests.conftest import ROOT

sys.path.insert(0, str(ROOT / "infra"))
from build import shipped_modules  # infra/ is not a package: imported from its folder


def _shipped() -> set[str]:
    return {str(path.relative_to(ROOT / "layers" / "moodline")) for path in shipped_modules()}


def test_ops_and_dev_code_stay_out_of_the_layer():
    shipped = _shipped()
    assert not {"moodline/cli.py", "moodline/admin.py", "moodline/replay.py"} & shipped


def test_everything_a_function_imports_is_in_the_layer():
    shipped = _shipped()
    assert {"moodline/composition.py", "moodline/adapters/twilio/webhook.py", "moodline/adapters/dynamodb.py",
            "moodline/triage/engine.py", "moodline/summary.py"} <= shipped
    assert {"moodline/__init__.py", "moodline/adapters/__init__.py", "moodline/adapters/twilio/__init__.py"} <= shipped
