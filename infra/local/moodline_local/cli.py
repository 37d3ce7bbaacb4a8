"""``moodline-local``: the offline demo and the local stack, dev-only (it never ships in a Lambda layer)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path


def _repo_root() -> Path:
    here = Path.cwd()
    for candidate in (here, *here.parents):
        if (candidate / "template.yaml").exists() and (candidate / "functions").is_dir():
            return candidate
    raise SystemExit("moodline-local: run this inside the Moodline repository (template.yaml not found)")


def _demo(args: argparse.Namespace) -> int:
    from moodline_local.demo import run_demo

    root = _repo_root()
    report = run_demo(root, root / args.out)
    expectations = {
        "a crisis page went out": sum(report["pages"].values()) >= 1 and report["alerts"].get("crisis", 0) >= 1,
        "STOP stopped the check-ins": report["probes_after_stop"] == 0,
        "an unparseable reply was stored without a mood": report["replies_without_mood"] >= 1,
        "each coach got a weekly e-mail": report["emails"] == 2,
    }
    failed = [name for name, ok in expectations.items() if not ok]
    for name in failed:
        print(f"DEMO CHECK FAILED: {name}", file=sys.stderr)
    return 1 if failed else 0


def _serve(args: argparse.Namespace) -> int:
    from moodline_local.serve import serve

    serve(_repo_root(), port=args.port)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``moodline-local`` console script (``make demo``, ``make serve``)."""
    parser = argparse.ArgumentParser(prog="moodline-local", description="Moodline's offline stack.")
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser("demo", help="simulate one week offline and print the timeline and report")
    demo.add_argument("--out", default="out", help="folder for the weekly e-mails and logs (default: out)")
    demo.set_defaults(run=_demo)
    serve = commands.add_parser("serve", help="run the local stack for interactive use")
    serve.add_argument("--port", type=int, default=8787, help="HTTP port on 127.0.0.1 (default: 8787)")
    serve.set_defaults(run=_serve)
    args = parser.parse_args(argv)
    if getattr(args, "port", 1) is not None and not 0 < getattr(args, "port", 1) < 65536:
        parser.error("--port must be between 1 and 65535")
    return int(args.run(args))


if __name__ == "__main__":
    sys.exit(main())
