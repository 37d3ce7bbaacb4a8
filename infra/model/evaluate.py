"""Score labelled replies with the shipped model alone and with today's rules OR the model.

    python infra/model/evaluate.py FILE.jsonl [FILE.jsonl ...] [--model DIR] [--split holdout]

"rules ∪ model" is what the engine will do: the higher of the two levels (the model only raises), and review
when the model is between its review and page thresholds. Figures:
- crisis recall: crisis replies assessed crisis; page recall: high/crisis replies paged;
- false pages: low/moderate ("quiet") replies paged;
- human-sees recall: high/crisis replies paged or marked review; review load: quiet replies paged or reviewed.

Run it on tests/data/triage_blind.jsonl once, at the end, to report: never to choose anything.
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import train
from moodline.triage import semantic
from moodline.triage.engine import assess_reply
from moodline.triage.model import Level


def outcomes(rows: Sequence[dict[str, Any]], model: semantic.SemanticModel) -> list[dict[str, Any]]:
    """Per row: the label, and the level/review of the model alone and of rules ∪ model."""
    out = []
    for r in rows:
        rules = assess_reply(r["text"], r.get("history") or ()).level
        opinion = model.judge(r["text"])
        alone = opinion.level or Level.LOW
        union = max(rules, alone, key=lambda lvl: lvl.rank)
        out.append({"row": r, "rules": rules, "alone": alone, "union": union, "review": opinion.review})
    return out


def figures(outs: Sequence[dict[str, Any]], key: str) -> dict[str, float]:
    crisis = [o for o in outs if o["row"]["level"] == "crisis"]
    paged = [o for o in outs if o["row"]["level"] in train.PAGED]
    quiet = [o for o in outs if o["row"]["level"] not in train.PAGED]

    def share(xs: Sequence[dict[str, Any]], hit: Any) -> float:
        return sum(1 for o in xs if hit(o)) / len(xs) if xs else float("nan")

    review = key != "rules"
    return {
        "n": len(outs),
        "crisis_recall": share(crisis, lambda o: o[key] is Level.CRISIS),
        "page_recall": share(paged, lambda o: o[key].pages),
        "false_pages": share(quiet, lambda o: o[key].pages),
        "human_sees": share(paged, lambda o: o[key].pages or (review and o["review"])),
        "review_load": share(quiet, lambda o: o[key].pages or (review and o["review"])),
    }


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("files", nargs="+", type=Path)
    ap.add_argument("--model", type=Path, default=None, help="artefact directory (default: the shipped one)")
    ap.add_argument("--split", default=None, help="only rows of this split (e.g. holdout)")
    args = ap.parse_args(argv)
    rows = [r for r in train.read_rows(args.files) if args.split in (None, r.get("split"))]
    model = semantic.load_semantic_model(args.model)
    outs = outcomes(rows, model)
    print("| who | n | crisis recall | page recall | false pages | human-sees recall | review load |")
    print("|---|---|---|---|---|---|---|")
    for key, name in (("rules", "rules alone"), ("alone", "model alone"), ("union", "rules ∪ model")):
        f = figures(outs, key)
        print(f"| {name} | {f['n']} | {f['crisis_recall']:.3f} | {f['page_recall']:.3f} | {f['false_pages']:.3f} "
              f"| {f['human_sees']:.3f} | {f['review_load']:.3f} |")
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for o in outs:
        groups[f"{o['row']['category']}"].append(o)
        groups[f"lang={o['row']['lang'] if o['row']['lang'] in ('en', 'es', 'mixed') else 'other'}"].append(o)
    print("\n| group | n | label | rules paged | rules ∪ model paged | + review |")
    print("|---|---|---|---|---|---|")
    for name in sorted(groups):
        g = groups[name]
        kind = "risk" if sum(o["row"]["level"] in train.PAGED for o in g) * 2 >= len(g) else "quiet"
        rp = sum(o["rules"].pages for o in g) / len(g)
        up = sum(o["union"].pages for o in g) / len(g)
        seen = sum(o["union"].pages or o["review"] for o in g) / len(g)
        print(f"| {name} | {len(g)} | mostly {kind} | {rp:.2f} | {up:.2f} | {seen:.2f} |")


if __name__ == "__main__":
    main()
