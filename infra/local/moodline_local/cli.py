"""``moodline-local``: the offline demo and the local stack, dev-only (it never ships in a Lambda layer)."""

from __future__ import annotations

import argparse
import os
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
    from moodline_local.serve import Ports, serve
    from moodline_local.stack import PortInUse

    state = Path(args.state) if args.state else None
    try:
        serve(_repo_root(), ports=Ports(api=args.port, moto=args.moto_port, twilio=args.twilio_port),
              demo_roster=args.demo_roster, state_path=state or _default_state())
    except PortInUse as exc:
        raise SystemExit(f"moodline-local serve: {exc}") from None
    return 0


def _default_state() -> Path:
    from moodline_local.serve import default_state_path

    return default_state_path()


def _env(args: argparse.Namespace) -> int:
    from moodline_local.serve import environment_lines, read_state

    for line in environment_lines(read_state(Path(args.state) if args.state else _default_state())):
        print(line)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``moodline-local`` console script (``make demo``, ``make serve``)."""
    parser = argparse.ArgumentParser(prog="moodline-local", description="Moodline's offline stack.")
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser("demo", help="simulate one week offline and print the timeline and report")
    demo.add_argument("--out", default="out", help="folder for the weekly e-mails and logs (default: out)")
    demo.set_defaults(run=_demo)
    serve = commands.add_parser(
        "serve", help="run the local stack for interactive use",
        description="Run the local stack on fixed ports until Ctrl-C or SIGTERM. It writes a state file "
                    "(default ~/.moodline/local.json, or $MOODLINE_LOCAL_STATE) with the endpoint, ports, "
                    "user pool and table names, and removes it on the way out.")
    serve.add_argument("--port", type=int, default=8787, help="API (webhooks, workspace) port (default: 8787)")
    serve.add_argument("--moto-port", type=int, default=8788, help="moto server port (default: 8788)")
    serve.add_argument("--twilio-port", type=int, default=8789, help="Twilio stand-in port (default: 8789)")
    serve.add_argument("--demo-roster", action="store_true",
                       help="enrol the demo's coaches (with workspace sign-ins), clients and rota")
    serve.add_argument("--state", help="where to write the state file")
    serve.set_defaults(run=_serve)
    env = commands.add_parser("env", help="print `export` lines that point the moodline CLI at a running serve",
                              description="Usage: eval \"$(moodline-local env)\"")
    env.add_argument("--state", help="the serve's state file (default ~/.moodline/local.json)")
    env.set_defaults(run=_env)
    args = parser.parse_args(argv)
    for flag in ("port", "moto_port", "twilio_port"):
        if hasattr(args, flag) and not 0 < getattr(args, flag) < 65536:
            parser.error(f"--{flag.replace('_', '-')} must be between 1 and 65535")
    try:
        return int(args.run(args))
    except BrokenPipeError:
        # `moodline-local env | head`: the reader left; say nothing more (Python's documented way out).
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1


if __name__ == "__main__":
    sys.exit(main())
