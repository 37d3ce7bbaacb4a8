"""The ``moodline`` command: the offline demo and stack, and triage from the shell."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import IO, Any


def score_lines(lines: Iterable[str], out: IO[str]) -> int:
    """Score JSON lines ``{"text": ..., "history": [...]}``; one JSON line out per line in, in order.

    A bad line gets ``{"error": ...}`` in its place (nothing is skipped); returns how many were bad.
    """
    from moodline.triage import assess_reply

    errors = 0
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            if not isinstance(item, dict) or not isinstance(item.get("text"), str):
                raise ValueError('expected an object with a "text" string')
            history = item.get("history") or []
            if not isinstance(history, list) or not all(
                h is None or (isinstance(h, int | float) and not isinstance(h, bool)) for h in history
            ):
                raise ValueError('"history" must be a list of numbers (or null)')
            moods = [None if h is None else float(h) for h in history]
            result: dict[str, Any] = assess_reply(item["text"], moods).to_json()
        except ValueError as exc:  # json.JSONDecodeError is a ValueError
            errors += 1
            result = {"error": f"line {number}: {exc}"}
        out.write(json.dumps(result, ensure_ascii=False) + "\n")
    out.flush()
    return errors


def _repo_root() -> Path:
    here = Path.cwd()
    for candidate in (here, *here.parents):
        if (candidate / "template.yaml").exists() and (candidate / "functions").is_dir():
            return candidate
    raise SystemExit("moodline: run this inside the Moodline repository (template.yaml not found)")


def _demo(args: argparse.Namespace) -> int:
    try:
        from moodline_local.demo import run_demo
    except ImportError:
        raise SystemExit("moodline demo needs the dev install: pip install -e '.[dev]'") from None
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
    try:
        from moodline_local.serve import serve
    except ImportError:
        raise SystemExit("moodline serve needs the dev install: pip install -e '.[dev]'") from None
    serve(_repo_root(), port=args.port)
    return 0


def _score(args: argparse.Namespace) -> int:
    return 1 if score_lines(sys.stdin, sys.stdout) else 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``moodline`` console script."""
    parser = argparse.ArgumentParser(prog="moodline", description="Moodline: SMS mood check-ins with a human coach.")
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser("demo", help="simulate one week offline and print the timeline and report")
    demo.add_argument("--out", default="out", help="folder for the weekly e-mails and logs (default: out)")
    demo.set_defaults(run=_demo)
    serve = commands.add_parser("serve", help="run the local stack for interactive use")
    serve.add_argument("--port", type=int, default=8787, help="HTTP port on 127.0.0.1 (default: 8787)")
    serve.set_defaults(run=_serve)
    score = commands.add_parser("score", help="triage JSON lines from stdin: {\"text\": ..., \"history\": [...]}")
    score.set_defaults(run=_score)
    args = parser.parse_args(argv)
    if getattr(args, "port", 1) is not None and not 0 < getattr(args, "port", 1) < 65536:
        parser.error("--port must be between 1 and 65535")
    return int(args.run(args))


if __name__ == "__main__":
    sys.exit(main())
