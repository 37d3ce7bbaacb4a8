"""What the semantic second opinion costs: load time, cold start added to score_reply, per-reply p99, throughput.

    python infra/model/bench_semantic.py [--rounds 5] [--replies 500]

The machine this runs on is shared and noisy, so everything that is compared is measured side by side in one
run: the cold starts alternate (rules only, rules + model, rules only, ...) in fresh interpreters, and the
per-reply latencies of the rules and of the model interleave over the same replies. Report ratios and medians.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LAYER = ROOT / "layers" / "moodline"
sys.path.insert(0, str(LAYER))

# A fresh interpreter doing what score_reply's first invocation does; prints the seconds each step took.
_COLD = """
import json, time
t0 = time.perf_counter()
from moodline.triage.engine import assess_reply
assess_reply("i keep thinking about the bridge tonight")
t1 = time.perf_counter()
steps = {"rules": t1 - t0}
if WITH_MODEL:
    from moodline.triage import semantic
    t2 = time.perf_counter()
    import numpy
    t3 = time.perf_counter()
    semantic.load_semantic_model().judge("i keep thinking about the bridge tonight")
    t4 = time.perf_counter()
    steps.update(semantic_import=t2 - t1, numpy_import=t3 - t2, model_load_and_first=t4 - t3, model=t4 - t1)
print(json.dumps(steps))
"""


def cold(with_model: bool) -> dict[str, float]:
    code = _COLD.replace("WITH_MODEL", str(with_model))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=LAYER)
    result: dict[str, float] = json.loads(out.stdout)
    return result


def pct(xs: Sequence[float], q: float) -> float:
    ordered = sorted(xs)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=5, help="cold starts of each kind, alternating")
    ap.add_argument("--replies", type=int, default=500, help="corpus replies timed one at a time")
    args = ap.parse_args(argv)

    rules_cold: list[dict[str, float]] = []
    model_cold: list[dict[str, float]] = []
    for _ in range(args.rounds):
        rules_cold.append(cold(False))
        model_cold.append(cold(True))
    added = [m["model"] for m in model_cold]

    from moodline.triage import semantic
    from moodline.triage.engine import assess_reply

    started = time.perf_counter()
    model = semantic.load_semantic_model()
    load_in_process = time.perf_counter() - started

    corpus = ROOT / "tests" / "data" / "triage_corpus.jsonl"
    texts = [json.loads(line)["text"] for line in corpus.read_text(encoding="utf-8").splitlines() if line.strip()]
    texts = (texts * (args.replies // max(len(texts), 1) + 1))[: args.replies]
    rules_t: list[float] = []
    model_t: list[float] = []
    for text in texts:
        t0 = time.perf_counter()
        assess_reply(text)
        t1 = time.perf_counter()
        model.judge(text)
        t2 = time.perf_counter()
        rules_t.append(t1 - t0)
        model_t.append(t2 - t1)
    longest = "😭 " * 800
    t0 = time.perf_counter()
    model.judge(longest)
    worst = time.perf_counter() - t0

    report = {
        "cold_rules_only_s_median": statistics.median(r["rules"] for r in rules_cold),
        "cold_added_by_model_s_median": statistics.median(added),
        "cold_added_by_model_s_range": [min(added), max(added)],
        "cold_numpy_import_s_median": statistics.median(m["numpy_import"] for m in model_cold),
        "cold_semantic_module_import_s_median": statistics.median(m["semantic_import"] for m in model_cold),
        "model_load_in_process_s": load_in_process,
        "per_reply_ms": {
            "model_p50": pct(model_t, 50) * 1e3,
            "model_p99": pct(model_t, 99) * 1e3,
            "rules_p50": pct(rules_t, 50) * 1e3,
            "rules_p99": pct(rules_t, 99) * 1e3,
            "model_1600_chars_worst_shape": worst * 1e3,
        },
        "throughput_replies_per_s": {"model": len(model_t) / sum(model_t), "rules": len(rules_t) / sum(rules_t),
                                     "rules_plus_model": len(texts) / (sum(model_t) + sum(rules_t))},
        "model_to_rules_p50_ratio": pct(model_t, 50) / pct(rules_t, 50),
        "artefact_bytes": sum(p.stat().st_size for p in semantic.ARTEFACT_DIR.iterdir()),
    }
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
