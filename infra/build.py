"""``make build``: the Lambda artifacts ``sam build`` would make, for arm64 / python3.12, without Docker.

pip fetches the layer's wheels for the Lambda platform (``--platform/--python-version``), so the
build does not depend on this machine's Python or CPU. The output has the layout of ``sam build``
(``.aws-sam/build/template.yaml`` + one folder per resource), so ``sam deploy`` uses it as is.
"""

from __future__ import annotations

import ast
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from samtranslator.yaml_helper import yaml_parse

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / ".aws-sam" / "build"
PLATFORMS = {"arm64": "manylinux2014_aarch64", "x86_64": "manylinux2014_x86_64"}
# Provided by the Lambda runtime: shipping them would add ~25 MB to the layer. (urllib3, jmespath and
# dateutil stay: requests and Powertools need them at versions we pin, not the runtime's.)
RUNTIME_PROVIDED = ("boto3", "botocore", "s3transfer")
# Installed but never run (issue 10 §7): Twilio's async client and its aiohttp stack (no function uses
# it), console scripts, and every Twilio REST domain but ``api`` (the Messages API: 8 of its 50 MB).
NEVER_RUN = ("bin", "aiohttp", "aiohttp_retry", "aiohappyeyeballs", "aiosignal", "frozenlist", "multidict",
             "yarl", "propcache", "attr", "attrs")
TWILIO_DOMAINS_KEPT = ("api",)
# The semantic model (numpy + the sentence encoder, ~70 MB) is a layer of its own: only score_reply uses it.
MODEL_LAYER = "SemanticModelLayer"
MODEL_DATA = Path("moodline") / "triage" / "semantic_model"


PACKAGE_DATA = ("py.typed", "*.j2")  # read at run time, not imported


def _imported_modules(path: Path) -> set[str]:
    """Every module ``path`` imports, lazy imports included ("from a import b" may import a.b)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def shipped_modules(root: Path = ROOT) -> set[Path]:
    """The files of the ``moodline`` package that some function imports, directly or not.

    Ops and dev code (the CLI, the roster, replay) is left out of the layer: no function imports it.
    """
    package_root = root / "layers" / "moodline"
    queue = sorted((root / "functions").glob("*/app.py"))
    shipped: set[Path] = set()
    while queue:
        for name in _imported_modules(queue.pop()):
            if not name.startswith("moodline"):
                continue
            parts = name.split(".")
            for depth in range(1, len(parts) + 1):  # a module, and every package above it
                base = package_root.joinpath(*parts[:depth])
                for candidate in (base / "__init__.py", base.with_suffix(".py")):
                    if candidate.is_file() and candidate not in shipped:
                        shipped.add(candidate)
                        queue.append(candidate)
    return shipped


def _copy_package(source: Path, target: Path) -> None:
    """Copy the shipped modules and the package data, nothing else."""
    package = source / "moodline"
    files = shipped_modules() | {
        data for pattern in PACKAGE_DATA for data in package.rglob(pattern) if "__pycache__" not in data.parts}
    for path in files:
        destination = target / path.relative_to(source)
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, destination)


def build_layer(resource: dict[str, Any], logical_id: str) -> None:
    props = resource["Properties"]
    runtime = props["CompatibleRuntimes"][0]  # python3.12
    architecture = props.get("CompatibleArchitectures", ["x86_64"])[0]
    target = OUT / logical_id / "python"
    source = ROOT / props["ContentUri"]
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
         "--requirement", str(source / "requirements.txt"), "--target", str(target),
         "--platform", PLATFORMS[architecture], "--python-version", runtime.removeprefix("python"),
         "--implementation", "cp", "--only-binary=:all:", "--upgrade",
         "--no-compile"],  # this machine's .pyc would be for its Python, not the runtime's
        check=True,
    )
    for name in (*RUNTIME_PROVIDED, *NEVER_RUN):
        for path in target.glob(f"{name}*"):
            if path.name == name or path.name.startswith(f"{name}-"):
                shutil.rmtree(path) if path.is_dir() else path.unlink()
    prune(target)
    if logical_id == MODEL_LAYER:  # the model's weights and thresholds, merged into /opt/python/moodline
        shutil.copytree(ROOT / "layers" / "moodline" / MODEL_DATA, target / MODEL_DATA,
                        ignore=shutil.ignore_patterns("__pycache__"))
    else:
        _copy_package(source, target)
    props["ContentUri"] = logical_id
    resource.pop("Metadata", None)


def prune(target: Path) -> None:
    """Drop what never runs: Twilio REST domains other than the Messages API, and stray bytecode."""
    rest = target / "twilio" / "rest"
    if rest.is_dir():
        for domain in rest.iterdir():
            if domain.is_dir() and domain.name not in TWILIO_DOMAINS_KEPT and domain.name != "__pycache__":
                shutil.rmtree(domain)
    for cache in list(target.rglob("__pycache__")):
        shutil.rmtree(cache, ignore_errors=True)


def size_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6


def build_function(resource: dict[str, Any], logical_id: str) -> None:
    props = resource["Properties"]
    shutil.copytree(ROOT / props["CodeUri"], OUT / logical_id, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    props["CodeUri"] = logical_id


def main() -> int:
    template = yaml_parse((ROOT / "template.yaml").read_text())
    shutil.rmtree(OUT, ignore_errors=True)
    OUT.mkdir(parents=True)
    for logical_id, resource in template["Resources"].items():
        if resource["Type"] == "AWS::Serverless::LayerVersion":
            build_layer(resource, logical_id)
        elif resource["Type"] == "AWS::Serverless::Function":
            build_function(resource, logical_id)
    # JSON is valid YAML: sam deploy reads .aws-sam/build/template.yaml either way.
    (OUT / "template.yaml").write_text(json.dumps(template, indent=1))
    for layer in sorted(p for p in OUT.iterdir() if p.is_dir() and (p / "python").is_dir()):
        print(f"layer {layer.name} size_mb={size_mb(layer):.1f}")
    print(f"built {OUT.relative_to(ROOT)}: {size_mb(OUT):.1f} MB unzipped; deploy with: sam deploy --guided")
    return 0


if __name__ == "__main__":
    sys.exit(main())
