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


def test_the_layer_is_pruned_of_what_never_runs(tmp_path):
    # Given an installed tree with Twilio's REST domains, stray bytecode and the async stack
    from build import NEVER_RUN, prune

    for domain in ("api", "chat", "video"):
        (tmp_path / "twilio" / "rest" / domain).mkdir(parents=True)
    (tmp_path / "twilio" / "rest" / "__init__.py").write_text("")
    (tmp_path / "numpy" / "__pycache__").mkdir(parents=True)
    (tmp_path / "numpy" / "__pycache__" / "x.cpython-311.pyc").write_bytes(b"")

    # When it is pruned
    prune(tmp_path)

    # Then only the Messages API's domain is left, no bytecode of this machine's Python, and
    # Twilio's async client stack and the console scripts are on the never-run list
    assert sorted(p.name for p in (tmp_path / "twilio" / "rest").iterdir()) == ["__init__.py", "api"]
    assert not list(tmp_path.rglob("*.pyc"))
    assert {"aiohttp", "aiohttp_retry", "multidict", "yarl", "bin"} <= set(NEVER_RUN)


def test_the_semantic_model_ships_in_a_layer_only_score_reply_uses():
    from build import MODEL_LAYER
    from moodline.triage.semantic import ARTEFACT_DIR

    template = (ROOT / "template.yaml").read_text()
    assert template.count(f"!Ref {MODEL_LAYER}") == 1  # score_reply's Layers, nowhere else
    core = [line for line in (ROOT / "layers/moodline/requirements.txt").read_text().splitlines()
            if line and not line.startswith("#")]
    assert not [line for line in core if line.startswith(("numpy", "fast-universal"))]
    assert "numpy" in (ROOT / "layers/semantic/requirements.txt").read_text()
    assert ARTEFACT_DIR.is_dir()
