"""The layer rules, enforced: every import in the shipped package and the functions, read with ast.

Each rule names who may not import what (lazy imports inside functions and TYPE_CHECKING imports
count too). docs/architecture.md draws the layers these rules keep apart.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import ROOT

PACKAGE = Path("layers/moodline/moodline")
FUNCTIONS = Path("functions")

PURE = ("moodline.triage", "moodline.schedule", "moodline.summary", "moodline.alerting", "moodline.domain",
        "moodline.vocabulary", "moodline.ports")
USE_CASES = ("moodline.probes", "moodline.inbound", "moodline.scoring", "moodline.paging", "moodline.weekly",
             "moodline.admin", "moodline.replay", "moodline.alert_links", "moodline.review_nudges")
OUTSIDE_WORLD = ("moodline.adapters", "moodline.composition", "boto3", "botocore", "pynamodb", "twilio")
DEV_ONLY = ("moodline_local", "moto", "infra", "bench", "sam_translate", "build")


@dataclass(frozen=True)
class Rule:
    """Modules matching ``who`` (prefixes) may not import modules matching ``forbidden``, except ``allowed``."""

    name: str
    who: tuple[str, ...]
    forbidden: tuple[str, ...]
    allowed: tuple[str, ...] = ()


RULES = (
    Rule("the shipped package and the functions never import dev or infra code",
         ("moodline", "functions"), DEV_ONLY),
    Rule("triage, scheduling, summaries, the alert machine, domain and ports touch no store, gateway or AWS SDK",
         PURE, OUTSIDE_WORLD),
    Rule("use cases reach the outside world only through ports", USE_CASES, OUTSIDE_WORLD),
    Rule("a function never imports another function", ("functions",), ("functions", "app", "lambda_")),
    Rule("only the Twilio adapter imports twilio", ("moodline", "functions"), ("twilio",),
         ("moodline.adapters.twilio",)),
    Rule("only the DynamoDB adapter imports pynamodb", ("moodline", "functions"), ("pynamodb",),
         ("moodline.adapters.dynamodb",)),
)


@dataclass(frozen=True)
class Violation:
    rule: str
    module: str
    imported: str
    line: int

    def __str__(self) -> str:
        return f"{self.module}:{self.line} imports {self.imported} ({self.rule})"


def _matches(module: str, prefixes: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(f"{p}.") for p in prefixes)


def _modules(root: Path) -> Iterator[tuple[str, Path]]:
    """(dotted name, file) of every module in the package, and ``functions.<name>.app`` for each handler."""
    for path in sorted((root / PACKAGE).rglob("*.py")):
        parts = path.relative_to(root / PACKAGE.parent).with_suffix("").parts
        yield ".".join(parts[:-1] if parts[-1] == "__init__" else parts), path
    for path in sorted((root / FUNCTIONS).glob("*/*.py")):
        yield ".".join(path.relative_to(root).with_suffix("").parts), path


def _imports(module: str, path: Path) -> Iterator[tuple[str, int]]:
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolve against this module's package
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            yield base, node.lineno
            for alias in node.names:  # "from moodline import store" imports moodline.store
                yield f"{base}.{alias.name}", node.lineno


def violations(root: Path) -> list[Violation]:
    """Every forbidden import, one per rule and import statement."""
    found: dict[tuple[str, str, int], Violation] = {}
    for module, path in _modules(root):
        for imported, line in _imports(module, path):
            for rule in RULES:
                if (_matches(module, rule.who) and _matches(imported, rule.forbidden)
                        and not _matches(module, rule.allowed) and imported != module):
                    found.setdefault((rule.name, module, line), Violation(rule.name, module, imported, line))
    return list(found.values())


def test_the_code_keeps_every_layer_rule():
    found = violations(ROOT)
    assert found == [], "\n".join(map(str, found))


def test_every_module_and_function_is_read():
    # Guards the test itself: if the layout moved, the rules above would silently check nothing.
    modules = dict(_modules(ROOT))
    assert {"moodline.inbound", "moodline.adapters.twilio.webhook", "moodline.triage.engine",
            "functions.ingest_sms.app", "functions.score_reply.app"} <= set(modules)


# --- the test of the test: each rule fails on a forbidden import added to a copy of the tree ---------

BAD_IMPORTS = [
    ("layers/moodline/moodline/cli_extra.py", "from moodline_local.demo import run_demo\n",
     "the shipped package and the functions never import dev or infra code"),
    ("layers/moodline/moodline/tool.py", "def f():\n    import moto\n",
     "the shipped package and the functions never import dev or infra code"),
    ("layers/moodline/moodline/triage/extra.py", "import boto3\n",
     "triage, scheduling, summaries, the alert machine, domain and ports touch no store, gateway or AWS SDK"),
    ("layers/moodline/moodline/summary.py", "from moodline.adapters import dynamodb\n",
     "triage, scheduling, summaries, the alert machine, domain and ports touch no store, gateway or AWS SDK"),
    ("layers/moodline/moodline/scoring.py", "from moodline.adapters.sns import SnsPager\n",
     "use cases reach the outside world only through ports"),
    ("functions/escalate/app.py", "from functions.ingest_sms.app import app\n",
     "a function never imports another function"),
    ("layers/moodline/moodline/links.py", "from twilio.twiml.messaging_response import MessagingResponse\n",
     "only the Twilio adapter imports twilio"),
    ("functions/ingest_sms/app.py", "from twilio.request_validator import RequestValidator\n",
     "only the Twilio adapter imports twilio"),
    ("layers/moodline/moodline/adapters/sns.py", "from pynamodb.models import Model\n",
     "only the DynamoDB adapter imports pynamodb"),
]


def _copy_of_the_tree(tmp_path: Path) -> Path:
    for module, path in _modules(ROOT):
        del module
        target = tmp_path / path.relative_to(ROOT)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(path.read_text())
    return tmp_path


@pytest.mark.parametrize(("file", "code", "rule"), BAD_IMPORTS, ids=[b[0] + ":" + b[1].split()[1] for b in BAD_IMPORTS])
def test_the_layer_test_fails_when_a_forbidden_import_is_added(tmp_path, file, code, rule):
    # Given a copy of the code, clean
    root = _copy_of_the_tree(tmp_path)
    assert violations(root) == []

    # When one forbidden import is added
    path = root / file
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text((path.read_text() if path.exists() else "") + code)

    # Then the rule it breaks reports it, naming the module
    found = violations(root)
    assert [v.rule for v in found] == [rule], found
    assert found[0].module.replace(".", "/") in file
