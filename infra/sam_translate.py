"""Translate template.yaml to plain CloudFormation offline, so cfn-lint can check what SAM generates."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")  # samtranslator refuses to run without one

from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse


class OfflinePolicyLoader:
    """samtranslator ships the managed-policy map; this loader is only its online fallback."""

    def load(self) -> dict[str, str]:
        return {}


def translate(template_path: Path) -> dict[str, Any]:
    """The CloudFormation that ``sam deploy`` would create from ``template_path``."""
    sam = yaml_parse(template_path.read_text())
    for resource in sam["Resources"].values():
        # Local code paths only become S3 URIs at `sam package` time; any s3:// URI will do here.
        props = resource.get("Properties", {})
        if resource["Type"] == "AWS::Serverless::Function" and not str(props.get("CodeUri", "")).startswith("s3://"):
            props["CodeUri"] = "s3://offline-placeholder/code.zip"
        if resource["Type"] == "AWS::Serverless::LayerVersion":
            props["ContentUri"] = "s3://offline-placeholder/layer.zip"
    return transform(sam, {}, OfflinePolicyLoader())  # type: ignore[no-any-return]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("template", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(translate(args.template), indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
