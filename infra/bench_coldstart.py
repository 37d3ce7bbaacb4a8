"""Cold-start imports per handler, measured as paired, interleaved fresh processes against ``import boto3``.

Method (issue 10, "Fix the bench method"):

* Every round runs, in a random order, fresh ``python -X frozen_modules=on`` processes: one ``pass``, and for
  each handler found in ``functions/*/app.py`` an adjacent pair, ``import app`` and its own ``import boto3``
  (which of the two goes first is random). A handler's process sees
  ``functions/<name>`` and the layer on its path, as Lambda does, and the environment its function gets from
  ``template.yaml`` (Globals plus its own ``Environment.Variables``), intrinsics replaced by well-formed
  placeholders, so the cold-start settings validation passes without AWS.
* The child times its own import with ``time.process_time()`` (CPU) and ``time.perf_counter()`` (wall). The
  parent also reads the child's rusage (user + sys) as a cross-check that covers interpreter start-up and exit.
* The first round warms the OS file cache and the bytecode caches (a deployed package ships them) and is
  dropped. The figure per handler is the median over rounds of the *paired* ratio handler / its adjacent boto3:
  a noisy, shared machine slows both sides of a pair alike, while absolute milliseconds drift.

The headline ``ratio`` is CPU, in the child, of the import statement alone: it is the work the handler's init
does, free of the scheduler's waits that wall time on a loaded host adds, and free of the interpreter's own
start-up, which Lambda's runtime pays whatever the handler imports (rusage includes it; ``proc_ratio`` subtracts
the ``pass`` process of the same round and is printed to show the two agree).

Run: ``python infra/bench_coldstart.py [--runs N] [--only a,b] [--explain] [--json]`` (``BENCH_RUNS``, default 9).
Exit 0 whatever the figures; exit 1 with one line per handler that cannot even be imported.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
# What a handler's first event builds before it calls out (no network): its use case, with the adapters,
# libraries and clients under it. Imports alone flatter a handler that defers them: ``<fn>_first_use`` is
# init plus this, against the same ``import boto3``.
FIRST_USE_SUFFIX = "_first_use"
FIRST_USE = {
    "alert_actions": "actions,client:secretsmanager",
    "escalate": "desk,client:sns",
    "ingest_sms": "inbound,delivery_statuses,client:secretsmanager,client:sns",
    "schedule_probes": "probe_scheduler,client:sqs",
    "score_reply": "scorer,client:secretsmanager,client:sns",
    "send_probe": "probe_sender,client:secretsmanager",
    "weekly_coach": "weekly,client:sesv2",
    "weekly_summary": "weekly_tick,client:sqs",
    # The workspace on its repositories, and PyJWT + cryptography, which every signed-in request verifies with.
    "coach_web": "app:workspace,import:jwt,import:jwt.algorithms",
}
DEFAULT_RUNS = 9
TARGETS = {"ingest_sms": 1.2}  # every other handler: DEFAULT_TARGET
DEFAULT_TARGET = 1.5
REGION = "us-east-1"
ACCOUNT = "123456789012"
BASELINES = ("pass", "boto3")

# The child: nothing imported before the clock starts but what the interpreter already holds (sys, time).
_CHILD = """\
import os, sys, time
target = sys.argv[1]
w0 = time.perf_counter(); c0 = time.process_time()
if target == "boto3":
    import boto3
elif target != "pass":
    import app
    for name in filter(None, os.environ.get("BENCH_FIRST_USE", "").split(",")):
        if name.startswith("client:"):
            app.SERVICES.aws.client(name[7:])
        elif name.startswith("app:"):
            getattr(app, name[4:])()
        elif name.startswith("import:"):
            __import__(name[7:])
        else:
            getattr(app.SERVICES, name)
c1 = time.process_time(); w1 = time.perf_counter()
sys.stdout.write(f"{(c1 - c0) * 1000:.4f} {(w1 - w0) * 1000:.4f}\\n")
"""


# ---------------------------------------------------------------- the template, and each function's environment


class _CfnLoader(yaml.SafeLoader):
    """YAML loader that turns CloudFormation's short intrinsic tags into their long (JSON) form."""


def _intrinsic(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    if suffix == "Ref":
        return {"Ref": value}
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{suffix}": value}


_CfnLoader.add_multi_constructor("!", _intrinsic)


def load_template(path: Path | None = None) -> dict[str, Any]:
    """``template.yaml`` as a plain dict, intrinsics as ``{"Ref": ...}`` / ``{"Fn::X": ...}``."""
    text = (path or ROOT / "template.yaml").read_text()
    loaded = yaml.load(text, Loader=_CfnLoader)  # a SafeLoader subclass: safe
    if not isinstance(loaded, dict):
        raise ValueError("template.yaml is not a mapping")
    return loaded


def discover_functions(root: Path = ROOT) -> list[str]:
    """Every handler directory: ``functions/<name>/app.py``."""
    return sorted(p.parent.name for p in (root / "functions").glob("*/app.py"))


def function_resources(template: Mapping[str, Any]) -> dict[str, tuple[str, Mapping[str, Any]]]:
    """Handler directory name → (logical id, properties) of the ``AWS::Serverless::Function`` built from it."""
    found: dict[str, tuple[str, Mapping[str, Any]]] = {}
    for logical_id, resource_ in (template.get("Resources") or {}).items():
        if not isinstance(resource_, dict) or resource_.get("Type") != "AWS::Serverless::Function":
            continue
        props = resource_.get("Properties") or {}
        code_uri = props.get("CodeUri")
        if isinstance(code_uri, str):
            found[Path(code_uri.rstrip("/")).name] = (logical_id, props)
    return found


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "x"


def placeholder(variable: str, logical_id: str = "") -> str:
    """A well-formed stand-in for a value CloudFormation would resolve: an ARN, an https URL or a name."""
    stem = _slug(logical_id or variable)
    upper = variable.upper()
    if upper.endswith("_ARN"):
        if "TOPIC" in upper:
            return f"arn:aws:sns:{REGION}:{ACCOUNT}:moodline-bench-{stem}"
        if "QUEUE" in upper:
            return f"arn:aws:sqs:{REGION}:{ACCOUNT}:moodline-bench-{stem}"
        if "TABLE" in upper:
            return f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/moodline-bench-{stem}"
        if "SECRET" in upper:
            return f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:moodline-bench-{stem}-AbCdEf"
        if "FUNCTION" in upper or "LAMBDA" in upper:
            return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:moodline-bench-{stem}"
        return f"arn:aws:sns:{REGION}:{ACCOUNT}:moodline-bench-{stem}"
    if upper.endswith("_URL"):
        if "QUEUE" in upper:
            return f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/moodline-bench-{stem}"
        return f"https://bench0api.execute-api.{REGION}.amazonaws.com/Prod"
    if upper.endswith("_SID"):
        return "MG" + "0" * 32  # a Twilio Messaging Service SID, the template's preferred sender
    return f"moodline-bench-{stem}"


# Parameters whose default is empty stay empty (an optional setting left unset, as a default deploy has it),
# except for values a handler cannot run without, which get a placeholder by their variable's suffix.
_NEEDS_A_VALUE = ("_ARN", "_URL", "_SID")


def resolve(variable: str, value: Any, parameters: Mapping[str, Any]) -> str:
    """The value a deployed function would see for ``variable``, or a well-formed placeholder."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    if isinstance(value, dict) and set(value) == {"Ref"}:
        target = value["Ref"]
        if isinstance(target, str) and target in parameters:
            default = (parameters[target] or {}).get("Default", "")
            if default not in (None, ""):
                return resolve(variable, default, parameters)
            return placeholder(variable, target) if variable.upper().endswith(_NEEDS_A_VALUE) else ""
        return placeholder(variable, str(target))
    if isinstance(value, dict) and set(value) == {"Fn::GetAtt"}:
        parts = value["Fn::GetAtt"]
        return placeholder(variable, str(parts[0] if isinstance(parts, list) and parts else parts))
    return placeholder(variable)  # Fn::Sub, Fn::If, Fn::Join, ...: no logical id to name it after


def declared_variables(template: Mapping[str, Any], name: str) -> dict[str, Any]:
    """The raw ``Environment.Variables`` a function gets: Globals, then its own (which win)."""
    globals_ = ((template.get("Globals") or {}).get("Function") or {})
    merged: dict[str, Any] = dict(((globals_.get("Environment") or {}).get("Variables")) or {})
    resources = function_resources(template)
    if name in resources:
        merged.update(((resources[name][1].get("Environment") or {}).get("Variables")) or {})
    return merged


def environment_for(template: Mapping[str, Any], name: str) -> dict[str, str]:
    """The environment variables template.yaml gives function ``name``, resolved to placeholders."""
    parameters = template.get("Parameters") or {}
    return {var: resolve(var, value, parameters) for var, value in declared_variables(template, name).items()}


def child_environment(root: Path, template: Mapping[str, Any], target: str) -> dict[str, str]:
    """A clean, Lambda-like environment: no inherited AWS profile or PYTHONPATH, caches writable, no IMDS."""
    base = {k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "TZ"}}
    path = [str(root / "layers/moodline")]
    lambda_env: dict[str, str] = {}
    if target not in BASELINES:
        path.insert(0, str(root / "functions" / target))
        lambda_env = {**environment_for(template, target), "AWS_LAMBDA_FUNCTION_NAME": f"moodline-{target}"}
    return {
        **base,
        "PYTHONPATH": os.pathsep.join(path),
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_EC2_METADATA_DISABLED": "true",
        **lambda_env,
    }


# ---------------------------------------------------------------- measuring


class ImportFailed(RuntimeError):
    """A handler cannot even be imported."""

    def __init__(self, target: str, detail: str) -> None:
        super().__init__(f"{target}: {detail}")
        self.target = target
        self.detail = detail


@dataclass(frozen=True)
class Sample:
    """One fresh process: the import's CPU and wall time in the child, and the whole child's rusage CPU."""

    cpu_ms: float
    wall_ms: float
    proc_cpu_ms: float


def run_child(target: str, env: Mapping[str, str], cwd: Path, *, python: str = sys.executable) -> Sample:
    """Run one fresh interpreter importing ``target``; rusage is the delta over this one (sequential) child."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run([python, "-X", "frozen_modules=on", "-c", _CHILD, target], cwd=cwd, env=dict(env),
                          capture_output=True, text=True, check=False)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        lines = [line for line in done.stderr.strip().splitlines() if line.strip()]
        raise ImportFailed(target, lines[-1].strip() if lines else f"exit status {done.returncode}")
    cpu, wall = (float(x) for x in done.stdout.split())
    proc = (after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) * 1000
    return Sample(cpu, wall, proc)


def paired_ratios(handler: Sequence[float], baseline: Sequence[float]) -> list[float]:
    """Per-round ratios handler / baseline (round i against round i)."""
    if len(handler) != len(baseline):
        raise ValueError("paired samples need the same number of rounds")
    return [h / b for h, b in zip(handler, baseline, strict=True) if b > 0]


def median_paired_ratio(handler: Sequence[float], baseline: Sequence[float]) -> float:
    """The median of the per-round paired ratios (not the ratio of medians)."""
    ratios = paired_ratios(handler, baseline)
    return statistics.median(ratios) if ratios else float("nan")


@dataclass
class Figure:
    """The cold-import figures of one handler, each a median over the timed rounds."""

    name: str
    ratio: float  # median paired CPU ratio handler / boto3 (the headline)
    wall_ratio: float
    proc_ratio: float  # rusage of the whole child minus the `pass` child of the same round, paired
    cpu_ms: float
    wall_ms: float
    boto3_cpu_ms: float
    boto3_wall_ms: float
    runs: int
    target: float
    ratio_min: float = 0.0
    ratio_max: float = 0.0

    @property
    def meets(self) -> bool:
        return self.ratio <= self.target


@dataclass
class Rounds:
    """Raw samples per target, round by round (warm-up round dropped)."""

    samples: dict[str, list[Sample]] = field(default_factory=dict)

    def add(self, target: str, sample: Sample) -> None:
        self.samples.setdefault(target, []).append(sample)


def measure(root: Path = ROOT, *, runs: int = DEFAULT_RUNS, only: Iterable[str] = (), seed: int | None = None,
            python: str = sys.executable, progress: bool = False,
            failed: list[ImportFailed] | None = None, first_use: bool = False) -> tuple[list[Figure], Rounds]:
    """Paired, interleaved cold imports; raises ``ImportFailed`` (all failures listed) before any timing.

    With ``failed`` given, handlers that cannot be imported are appended to it and the others are measured.
    """
    template = load_template(root / "template.yaml")
    handlers = [h for h in discover_functions(root) if not set(only) or h in set(only)]
    targets = [*BASELINES, *handlers]
    envs = {t: child_environment(root, template, t) for t in targets}
    for handler in [h for h in handlers if h in FIRST_USE and first_use]:
        envs[handler + FIRST_USE_SUFFIX] = {**envs[handler], "BENCH_FIRST_USE": FIRST_USE[handler]}
    rng = random.Random(seed)
    failures: list[ImportFailed] = []
    for target in targets:  # warm-up round, in order: writes the bytecode caches, proves each handler imports
        try:
            run_child(target, envs[target], root, python=python)
        except ImportFailed as exc:
            failures.append(exc)
    if failures and (failed is None or any(f.target in BASELINES for f in failures)):
        raise ExceptionGroup("handlers that cannot be imported", failures)
    if failures and failed is not None:
        failed.extend(failures)
        handlers = [h for h in handlers if h not in {f.target for f in failures}]
    handlers += [h + FIRST_USE_SUFFIX for h in handlers if h + FIRST_USE_SUFFIX in envs]
    rounds = Rounds()
    for i, plan in enumerate(schedule(handlers, runs, rng)):
        for target, key in plan:
            rounds.add(key, run_child(target, envs[target], root, python=python))
        if progress:
            print(f"  round {i + 1}/{runs}", file=sys.stderr, flush=True)
    return [figure(h, rounds, runs) for h in handlers], rounds


def schedule(handlers: Sequence[str], runs: int, rng: random.Random) -> list[list[tuple[str, str]]]:
    """Each round's processes as (target, sample key), in a random order.

    Every handler runs right next to its own ``import boto3`` (which goes first is random too), so a pair is
    seconds apart at most and shares the machine's load; one ``pass`` per round sits somewhere in between.
    """
    rounds = []
    for _ in range(runs):
        pairs: list[list[tuple[str, str]]] = []
        for handler in handlers:
            pair = [(handler, handler), ("boto3", f"boto3:{handler}")]
            rng.shuffle(pair)
            pairs.append(pair)
        pairs.append([("pass", "pass")])
        rng.shuffle(pairs)
        rounds.append([step for pair in pairs for step in pair])
    return rounds


def figure(name: str, rounds: Rounds, runs: int) -> Figure:
    """Reduce one handler's rounds to medians of paired ratios (against its adjacent boto3 when there is one)."""
    h, p = rounds.samples[name], rounds.samples["pass"]
    b = rounds.samples.get(f"boto3:{name}") or rounds.samples["boto3"]
    cpu_ratios = paired_ratios([s.cpu_ms for s in h], [s.cpu_ms for s in b])
    proc_h = [s.proc_cpu_ms - q.proc_cpu_ms for s, q in zip(h, p, strict=True)]
    proc_b = [s.proc_cpu_ms - q.proc_cpu_ms for s, q in zip(b, p, strict=True)]
    return Figure(
        name=name,
        ratio=statistics.median(cpu_ratios),
        wall_ratio=median_paired_ratio([s.wall_ms for s in h], [s.wall_ms for s in b]),
        proc_ratio=median_paired_ratio(proc_h, proc_b),
        cpu_ms=statistics.median(s.cpu_ms for s in h),
        wall_ms=statistics.median(s.wall_ms for s in h),
        boto3_cpu_ms=statistics.median(s.cpu_ms for s in b),
        boto3_wall_ms=statistics.median(s.wall_ms for s in b),
        runs=runs,
        target=TARGETS.get(name.removesuffix(FIRST_USE_SUFFIX), DEFAULT_TARGET),
        ratio_min=min(cpu_ratios),
        ratio_max=max(cpu_ratios),
    )


# ---------------------------------------------------------------- output


def machine_line(fig: Figure) -> str:
    """``coldstart <name> ratio=… wall_ratio=… …``: one line per handler, ``key=value`` tokens, no spaces inside."""
    return (f"coldstart {fig.name} ratio={fig.ratio:.2f} wall_ratio={fig.wall_ratio:.2f} "
            f"proc_ratio={fig.proc_ratio:.2f} cpu_ms={fig.cpu_ms:.1f} wall_ms={fig.wall_ms:.1f} "
            f"boto3_cpu_ms={fig.boto3_cpu_ms:.1f} boto3_wall_ms={fig.boto3_wall_ms:.1f} "
            f"target={fig.target:.2f} meets={'yes' if fig.meets else 'no'} runs={fig.runs}")


_LINE = re.compile(r"^coldstart (?P<name>[A-Za-z0-9_]+)(?P<rest>( [a-z0-9_]+=[^\s=]+)+)$")


def parse_line(line: str) -> tuple[str, dict[str, str]]:
    """Read a ``coldstart`` line back: (handler, {key: value})."""
    match = _LINE.match(line.strip())
    if not match:
        raise ValueError(f"not a coldstart line: {line!r}")
    pairs = dict(token.split("=", 1) for token in match["rest"].split())
    return match["name"], pairs


def table(figures: Sequence[Figure]) -> str:
    """The readable table."""
    width = max([16, *(len(f.name) for f in figures)])
    head = (f"{'handler':<{width}} {'× boto3 (CPU)':>13} {'range':>11} {'× wall':>7} {'× proc':>7} "
            f"{'CPU ms':>8} {'wall ms':>8} {'target':>7}")
    rows = [head, "-" * len(head)]
    for f in figures:
        rows.append(f"{f.name:<{width}} {f.ratio:>13.2f} {f'{f.ratio_min:.2f}-{f.ratio_max:.2f}':>11} "
                    f"{f.wall_ratio:>7.2f} {f.proc_ratio:>7.2f} {f.cpu_ms:>8.1f} {f.wall_ms:>8.1f} "
                    f"{'≤' + format(f.target, '.1f'):>6}{' ' if f.meets else '✗'}")
    if figures:
        rows.append(f"{'import boto3':<{width}} {1.0:>13.2f} {'':>11} {1.0:>7.2f} {1.0:>7.2f} "
                    f"{statistics.median(f.boto3_cpu_ms for f in figures):>8.1f} "
                    f"{statistics.median(f.boto3_wall_ms for f in figures):>8.1f}")
    return "\n".join(rows)


# ---------------------------------------------------------------- attribution (-X importtime)


@dataclass
class ImportEntry:
    """One line of ``-X importtime``: self and cumulative microseconds, nesting level, parent index."""

    module: str
    self_us: int
    cumulative_us: int
    level: int
    parent: int | None = None


_IMPORTTIME = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)\s*$")


def parse_importtime(stderr: str) -> list[ImportEntry]:
    """Parse ``-X importtime`` output (post-order: children come before their importer) and link parents."""
    entries: list[ImportEntry] = []
    open_: list[int] = []  # indices still waiting for their importer
    for line in stderr.splitlines():
        match = _IMPORTTIME.match(line)
        if not match:
            continue
        level = len(match[3]) // 2
        index = len(entries)
        entries.append(ImportEntry(match[4], int(match[1]), int(match[2]), level))
        while open_ and entries[open_[-1]].level > level:
            entries[open_.pop()].parent = index
        open_.append(index)
    return entries


def group_of(module: str) -> str:
    """The package-level entry a module counts under (deep enough to tell event_handler from idempotency)."""
    parts = module.split(".")
    if parts[0] == "aws_lambda_powertools" and len(parts) > 2 and parts[1] in {"utilities", "event_handler"}:
        return ".".join(parts[:3])
    if parts[0] in {"aws_lambda_powertools", "moodline", "twilio", "botocore", "boto3", "pynamodb"}:
        return ".".join(parts[:2])
    return parts[0]


def attribute(entries: Sequence[ImportEntry], baseline: frozenset[str] = frozenset()) -> dict[str, tuple[float, float]]:
    """Group → (self ms, cumulative ms), leaving out modules in ``baseline`` (what ``import boto3`` loads anyway).

    Cumulative counts each subtree once (entries with no ancestor in the same group) and excludes the baseline
    modules inside it, so ``twilio.rest`` is charged for twilio, not for the urllib3 it happened to load first.
    """
    extra = [0.0] * len(entries)  # cumulative ms of each entry without baseline modules
    for i, entry in enumerate(entries):  # post-order: children are complete before their parent
        if entry.module not in baseline:
            extra[i] += entry.self_us / 1000
        if entry.parent is not None:
            extra[entry.parent] += extra[i]
    totals: dict[str, list[float]] = {}
    groups = [group_of(e.module) for e in entries]
    for i, entry in enumerate(entries):
        if entry.module in baseline:
            continue
        row = totals.setdefault(groups[i], [0.0, 0.0])
        row[0] += entry.self_us / 1000
        ancestor, outermost = entry.parent, True
        while ancestor is not None:
            if groups[ancestor] == groups[i]:
                outermost = False
                break
            ancestor = entries[ancestor].parent
        if outermost:
            row[1] += extra[i]
    if baseline:
        totals[BOTO3_ROW] = [sum(e.self_us for e in entries if e.module in baseline) / 1000] * 2
        totals[EXTRA_ROW] = [sum(e.self_us for e in entries if e.module not in baseline) / 1000] * 2
    return {g: (s, c) for g, (s, c) in totals.items()}


BOTO3_ROW = "(boto3 baseline)"
EXTRA_ROW = "(everything beyond boto3)"
_SUMMARY_ROWS = (EXTRA_ROW, BOTO3_ROW)

# Counts the botocore sessions and clients a handler builds at import, and the CPU they take.
_CLIENTS_CHILD = """\
import sys, time
import botocore.session as bs
counts = {"sessions": 0, "clients": [], "ms": 0.0}
_init, _create = bs.Session.__init__, bs.Session.create_client
def init(self, *a, **k):
    counts["sessions"] += 1
    c0 = time.process_time(); _init(self, *a, **k); counts["ms"] += (time.process_time() - c0) * 1000
def create(self, name, *a, **k):
    counts["clients"].append(name)
    c0 = time.process_time()
    try:
        return _create(self, name, *a, **k)
    finally:
        counts["ms"] += (time.process_time() - c0) * 1000
bs.Session.__init__, bs.Session.create_client = init, create
import app
import json
sys.stdout.write(json.dumps(counts))
"""


@dataclass
class Explanation:
    """Where one handler's import goes: package groups beyond boto3, and the AWS clients built at import."""

    handler: str
    rows: list[tuple[str, float, float]]
    sessions: int
    clients: list[str]
    clients_ms: float


def _importtime(python: str, root: Path, env: Mapping[str, str], statement: str, who: str) -> list[ImportEntry]:
    done = subprocess.run([python, "-X", "frozen_modules=on", "-X", "importtime", "-c", statement],
                          cwd=root, env=dict(env), capture_output=True, text=True, check=False)
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines()
        raise ImportFailed(who, lines[-1] if lines else f"exit status {done.returncode}")
    return parse_importtime(done.stderr)


def explain(root: Path, handler: str, *, repeats: int = 3, top: int = 12,
            python: str = sys.executable) -> Explanation:
    """Top ``top`` groups by self time (median of ``repeats`` importtime runs) beyond what boto3 loads."""
    template = load_template(root / "template.yaml")
    env = child_environment(root, template, handler)
    baseline = frozenset(e.module for e in _importtime(python, root, child_environment(root, template, "boto3"),
                                                       "import boto3", "boto3"))
    runs = [attribute(_importtime(python, root, env, "import app", handler), baseline) for _ in range(repeats)]
    names = set().union(*runs)
    merged = [(g, statistics.median(r.get(g, (0.0, 0.0))[0] for r in runs),
               statistics.median(r.get(g, (0.0, 0.0))[1] for r in runs)) for g in names]
    ranked = sorted((m for m in merged if m[0] not in _SUMMARY_ROWS), key=lambda row: row[1], reverse=True)[:top]
    ranked += sorted((m for m in merged if m[0] in _SUMMARY_ROWS), key=lambda row: _SUMMARY_ROWS.index(row[0]))
    done = subprocess.run([python, "-X", "frozen_modules=on", "-c", _CLIENTS_CHILD], cwd=root, env=env,
                          capture_output=True, text=True, check=False)
    counts: dict[str, Any] = {"sessions": 0, "clients": [], "ms": 0.0}
    if done.returncode == 0:
        counts = json.loads(done.stdout.strip().splitlines()[-1])
    return Explanation(handler, ranked, int(counts["sessions"]), list(counts["clients"]), float(counts["ms"]))


def explain_lines(ex: Explanation) -> list[str]:
    """Readable block plus one ``importtime`` machine line per group."""
    out = [f"{ex.handler}: import time beyond `import boto3` (-X importtime, wall, median of runs; top by self)",
           f"  {'package':<48} {'self ms':>8} {'cum ms':>8}"]
    out += [f"  {g:<48} {s:>8.1f} {c:>8.1f}" for g, s, c in ex.rows]
    clients = ", ".join(f"{n}×{ex.clients.count(n)}" for n in sorted(set(ex.clients))) or "none"
    out.append(f"  at import: {ex.sessions} botocore session(s), clients {clients}: {ex.clients_ms:.1f} ms CPU")
    out += [f"importtime {ex.handler} group={g.replace(' ', '_')} self_ms={s:.1f} cum_ms={c:.1f}"
            for g, s, c in ex.rows]
    out.append(f"importclients {ex.handler} sessions={ex.sessions} clients={len(ex.clients)} "
               f"cpu_ms={ex.clients_ms:.1f}")
    return out


# ---------------------------------------------------------------- CLI


def main(argv: Sequence[str] | None = None, root: Path = ROOT) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=int(os.environ.get("BENCH_RUNS", DEFAULT_RUNS)))
    parser.add_argument("--only", default="", help="comma-separated handlers (default: all in functions/)")
    parser.add_argument("--seed", type=int, default=None, help="seed of the round order")
    parser.add_argument("--explain", action="store_true", help="attribute each handler's import time")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON document")
    parser.add_argument("--first-use", action="store_true",
                        help="also <fn>_first_use: init plus what the first event builds (clients included)")
    parser.add_argument("--keep-going", action="store_true",
                        help="measure the handlers that import; one status=import_failed line for each other one")
    args = parser.parse_args(argv)
    only = [h for h in args.only.split(",") if h]
    started = time.perf_counter()
    failed: list[ImportFailed] = []
    try:
        figures, _ = measure(root, runs=max(1, args.runs), only=only, seed=args.seed, progress=not args.json,
                             failed=failed if args.keep_going else None, first_use=args.first_use)
    except ExceptionGroup as group:
        for exc in group.exceptions:
            print(f"coldstart FAILED {exc}", file=sys.stderr)
        return 1
    for exc in failed:  # --keep-going: the others are measured; the line says which could not even import
        print(f"coldstart FAILED {exc}", file=sys.stderr)
        print(f"coldstart {exc.target} status=import_failed")
    explained = ({f.name: explain(root, f.name) for f in figures if not f.name.endswith(FIRST_USE_SUFFIX)}
                 if args.explain else {})
    if args.json:
        print(json.dumps({"figures": [{**asdict(f), "meets": f.meets} for f in figures],
                          "explain": {h: asdict(ex) for h, ex in explained.items()}}, indent=2))
        return 0
    print(f"Cold imports: {args.runs} paired rounds (+1 warm-up), fresh processes in random order; "
          f"ratio = median of per-round handler/boto3 CPU ({time.perf_counter() - started:.0f} s)")
    print(table(figures))
    for f in figures:
        print(machine_line(f))
    for ex in explained.values():
        print()
        print("\n".join(explain_lines(ex)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
