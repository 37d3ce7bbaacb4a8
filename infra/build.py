"""``make build``: the Lambda artifacts ``sam build`` would make, for arm64 / python3.12, without Docker.

pip fetches the layer's wheels for the Lambda platform (``--platform/--python-version``), so the
build does not depend on this machine's Python or CPU. The output has the layout of ``sam build``
(``.aws-sam/build/template.yaml`` + one folder per resource), so ``sam deploy`` uses it as is.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from samtranslator.yaml_helper import yaml_parse

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / ".aws-sam" / "build"
PLATFORMS = {"arm64": "manylinux2014_aarch64", "x86_64": "manylinux2014_x86_64"}
# Provided by the Lambda runtime: shipping them would add ~25 MB to the layer. (urllib3, jmespath and
# dateutil stay: requests and Powertools need them at versions we pin, not the runtime's.)
RUNTIME_PROVIDED = ("boto3", "botocore", "s3transfer")


def build_layer(resource: dict, logical_id: str) -> None:
    props = resource["Properties"]
    runtime = props["CompatibleRuntimes"][0]  # python3.12
    architecture = props.get("CompatibleArchitectures", ["x86_64"])[0]
    target = OUT / logical_id / "python"
    source = ROOT / props["ContentUri"]
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
         "--requirement", str(source / "requirements.txt"), "--target", str(target),
         "--platform", PLATFORMS[architecture], "--python-version", runtime.removeprefix("python"),
         "--implementation", "cp", "--only-binary=:all:", "--upgrade"],
        check=True,
    )
    for name in RUNTIME_PROVIDED:
        for path in target.glob(f"{name}*"):
            if path.name == name or path.name.startswith(f"{name}-"):
                shutil.rmtree(path) if path.is_dir() else path.unlink()
    shutil.copytree(source / "moodline", target / "moodline",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    props["ContentUri"] = logical_id
    resource.pop("Metadata", None)


def build_function(resource: dict, logical_id: str) -> None:
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
    size = sum(f.stat().st_size for f in OUT.rglob("*") if f.is_file())
    print(f"built {OUT.relative_to(ROOT)}: {size / 1e6:.1f} MB unzipped; deploy with: sam deploy --guided")
    return 0


if __name__ == "__main__":
    sys.exit(main())
