"""Build the semantic second opinion's artefact from the labelled corpus (`make model`).

    python infra/model/train.py [EXTRA.jsonl ...] [--out DIR]

Reads tests/data/triage_corpus.jsonl (plus any extra files with the same schema), trains on split "dev",
chooses thresholds on split "holdout" and writes layers/moodline/moodline/triage/semantic_model/.
It never reads tests/data/triage_blind.jsonl: that set is for infra/model/evaluate.py, once.

Reproducibility: the encoder is a fixed numpy forward pass and both regressions are L2-regularised, hence
strictly convex with one optimum, which lbfgs reaches to `tol`. A rebuild on the same corpus therefore gives the
same weights to about 1e-4 (the arrays are not byte-identical across BLAS builds, so the test compares with a
tolerance); the seed below only fixes the order of the rows the test samples.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import linalg, sparse
from threadpoolctl import threadpool_limits

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "layers" / "moodline"))

from moodline.triage import semantic  # noqa: E402
from moodline.triage.semantic import HashingConfig, Thresholds  # noqa: E402

CORPUS = ROOT / "tests" / "data" / "triage_corpus.jsonl"
PAGED = ("high", "crisis")
SEED = 20261129


@dataclass(frozen=True)
class TrainConfig:
    """Hyper-parameters, chosen by 5-fold cross-validation on dev (infra/model/candidates.py --cv)."""

    hashing: HashingConfig = field(default_factory=HashingConfig)
    # The dense block is multiplied by this before the regression sees it: with one C for both blocks, it sets
    # how much the embedding counts against the n-grams.
    dense_scale: float = 1.0
    c: float = 30.0
    # Threshold policy (on holdout): the model alone may add at most this share of false pages...
    fp_budget: float = 0.04
    # ...and its pages plus reviews may take at most this share of the quiet (low/moderate) replies.
    review_budget: float = 0.15
    seed: int = SEED


@dataclass
class Trained:
    """What one training run produces: the arrays the artefact stores, and the holdout scores."""

    arrays: dict[str, npt.NDArray[Any]]
    thresholds: Thresholds
    holdout: dict[str, float]


def config_from_meta(meta: dict[str, Any]) -> TrainConfig:
    """The configuration an artefact was built with (for the test that rebuilds it)."""
    t = meta["train"]
    return TrainConfig(
        hashing=HashingConfig(**meta["hashing"]),
        dense_scale=float(meta["dense_scale"]),
        c=float(t["c"]),
        fp_budget=float(t["fp_budget"]),
        review_budget=float(t["review_budget"]),
        seed=int(t["seed"]),
    )


def read_rows(paths: Sequence[Path]) -> list[dict[str, Any]]:
    """Every labelled line of the given JSONL files, in file order."""
    rows: list[dict[str, Any]] = []
    for path in paths:
        with path.open(encoding="utf-8") as fh:
            rows += [json.loads(line) for line in fh if line.strip()]
    return rows


def corpus_digest(paths: Sequence[Path]) -> str:
    """sha256 over the files' bytes in order: what the test compares the shipped artefact against."""
    h = hashlib.sha256()
    for path in paths:
        h.update(path.read_bytes())
    return h.hexdigest()


def embed(texts: Sequence[str], encoder: semantic.Encoder | None = None, batch: int = 64) -> npt.NDArray[np.float16]:
    """Encoder vectors, rounded to float16: the artefact stores them so, and training uses the stored values."""
    enc = encoder or semantic.Encoder()
    out = [enc.encode(texts[i : i + batch]) for i in range(0, len(texts), batch)]
    return np.vstack(out).astype(np.float16) if out else np.zeros((0, 512), np.float16)


def features(texts: Sequence[str], emb: npt.NDArray[Any], cfg: TrainConfig) -> sparse.csr_matrix:
    """[dense_scale * embedding | hashed n-grams] as one sparse matrix, the layout SemanticModel.scores sums."""
    indptr, indices, values = [0], [], []
    for text in texts:
        buckets = semantic.hashed_ngrams(text, cfg.hashing)
        keys = sorted(buckets)
        indices += keys
        values += [buckets[k] for k in keys]
        indptr.append(len(indices))
    grams = sparse.csr_matrix((values, indices, indptr), shape=(len(texts), cfg.hashing.dim), dtype=np.float64)
    dense = sparse.csr_matrix(emb.astype(np.float64) * cfg.dense_scale)
    return sparse.hstack([dense, grams], format="csr")


def fit_logistic(
    x: sparse.csr_matrix,
    y: npt.NDArray[np.bool_],
    c: float,
    max_iter: int = 50,
    start: tuple[npt.NDArray[Any], float] | None = None,
) -> tuple[npt.NDArray[np.float64], float]:
    """L2 logistic regression, classes balanced (pages are a minority), solved exactly by Newton's method.

    Minimises C * sum_i s_i log(1 + exp(-y_i (x_i.w + b))) + |w|^2/2 + b^2/2 (the bias is regularised, as in
    liblinear; with balanced classes it stays near zero). There are far fewer rows (n) than features (d), so
    each Newton step solves an n x n system through Woodbury's identity instead of a d x d one:
    (I + U'U)^-1 = I - U'(I + UU')^-1 U, with U = sqrt(C*D) X and UU' = diag(r) K diag(r), K = XX' once.
    Newton converges quadratically to the single optimum, so a rebuild gives the same weights to ~1e-9: no
    seeds, no solver tolerance to argue about, and no scikit-learn. `start` only changes how many steps it takes
    (the test starts from the shipped weights: if they are the optimum, one step confirms it).
    """
    n = x.shape[0]
    xb = sparse.hstack([x, np.ones((n, 1))], format="csr")
    t = y.astype(np.float64)
    pos = max(float(t.sum()), 1.0)
    neg = max(float(n - t.sum()), 1.0)
    s = np.where(y, n / (2 * pos), n / (2 * neg))
    gram = (xb @ xb.T).toarray()
    w = np.zeros(xb.shape[1]) if start is None else np.append(np.asarray(start[0], np.float64), start[1])

    def objective(w: npt.NDArray[np.float64]) -> float:
        z = xb @ w
        return float(c * np.sum(s * (np.logaddexp(0.0, z) - t * z)) + 0.5 * (w @ w))

    f = objective(w)
    for _ in range(max_iter):
        p = sigmoid(xb @ w)
        g = w + c * (xb.T @ (s * (p - t)))
        if float(np.sqrt(g @ g)) < 1e-9 * max(1.0, float(np.sqrt(w @ w))):
            break
        r = np.sqrt(c * s * p * (1.0 - p))
        inner = np.eye(n) + r[:, None] * gram * r[None, :]
        ug = r * (xb @ g)
        step = -(g - xb.T @ (r * linalg.cho_solve(linalg.cho_factor(inner), ug)))
        # Backtracking keeps the step a descent far from the optimum; near it the full step is taken.
        lr = 1.0
        while lr > 1e-8:
            f_new = objective(w + lr * step)
            if f_new <= f + 1e-4 * lr * float(g @ step):
                break
            lr *= 0.5
        w, f = w + lr * step, f_new
    return w[:-1], float(w[-1])


def fit_head(
    x: sparse.csr_matrix, y: npt.NDArray[np.bool_], cfg: TrainConfig, start: tuple[npt.NDArray[Any], float] | None
) -> tuple[npt.NDArray[np.float64], float]:
    """One head ("page" or "crisis") of the model."""
    return fit_logistic(x, y, cfg.c, start=start)


def weights_of(arrays: dict[str, npt.NDArray[Any]], head: str, dim: int) -> tuple[npt.NDArray[np.float64], float]:
    """One head's full weight vector [dense | hashed] and bias, from the artefact's sparse storage."""
    coef = np.zeros(len(arrays[f"{head}_dense"]) + dim)
    coef[: len(arrays[f"{head}_dense"])] = arrays[f"{head}_dense"]
    coef[len(arrays[f"{head}_dense"]) + arrays[f"{head}_hash_idx"]] = arrays[f"{head}_hash_val"]
    return coef, float(arrays[f"{head}_bias"])


def sigmoid(z: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    out: npt.NDArray[np.float64] = 0.5 * (1.0 + np.tanh(0.5 * z))
    return out


def choose_thresholds(
    p_page: npt.NDArray[np.float64], p_crisis: npt.NDArray[np.float64], levels: Sequence[str], cfg: TrainConfig
) -> tuple[Thresholds, dict[str, float]]:
    """Page and crisis thresholds that maximise page + crisis recall within the false-page budget, then the
    lowest review threshold within the review budget. Ties go to the higher (quieter) threshold."""
    lv = np.array(levels)
    quiet = ~np.isin(lv, PAGED)
    paged = ~quiet
    crisis = lv == "crisis"
    allowed = int(np.floor(cfg.fp_budget * quiet.sum() + 1e-9))
    every = np.unique(np.concatenate([p_page, p_crisis]))

    def above(score: float) -> float:
        """Midway between `score` and the next holdout score up: the same holdout outcome, with a margin
        either side so that float rounding between training and serving cannot flip a reply at the edge."""
        higher = every[every > score]
        return float((score + higher[0]) / 2) if len(higher) else float(np.nextafter(score, np.inf))

    def below(score: float) -> float:
        lower = every[every < score]
        return float((score + lower[-1]) / 2) if len(lower) else float(score)

    best: tuple[float, float, float] | None = None
    # Lowering the crisis threshold only pays at a crisis row's score, so those (and "never") are the candidates.
    for c_score in np.unique(np.concatenate([p_crisis[crisis], [np.inf]]))[::-1]:
        tc = below(float(c_score)) if np.isfinite(c_score) else 1.0 + 1e-9
        c_hit = p_crisis >= tc
        spare = allowed - int(c_hit[quiet].sum())
        if spare < 0:
            break
        # The page threshold sits just above the (spare+1)-th highest quiet score the crisis head left alone.
        rest = np.sort(p_page[quiet & ~c_hit])[::-1]
        tp = above(float(rest[spare])) if spare < len(rest) else below(float(p_page.min()))
        hit = c_hit | (p_page >= tp)
        score = float(hit[paged].mean() + c_hit[crisis].mean())
        if best is None or score > best[0] + 1e-12:
            best = (score, tp, tc)
    assert best is not None
    _, tp, tc = best
    # Review: the lowest threshold at which pages plus reviews stay within the review budget.
    allowed_seen = int(np.floor(cfg.review_budget * quiet.sum() + 1e-9))
    ranked = np.sort(p_page[quiet])[::-1]
    review = above(float(ranked[allowed_seen])) if allowed_seen < len(ranked) else below(float(p_page.min()))
    review = min(review, tp)
    hit = (p_page >= tp) | (p_crisis >= tc)
    seen = hit | (p_page >= review)
    figures = {
        "page_recall": float(hit[paged].mean()),
        "crisis_recall": float((p_crisis >= tc)[crisis].mean()),
        "false_page_rate": float(hit[quiet].mean()),
        "human_sees_recall": float(seen[paged].mean()),
        "review_load": float(seen[quiet].mean()),
    }
    return Thresholds(page=tp, crisis=tc, review=review), figures


def train(
    rows: Sequence[dict[str, Any]], emb: npt.NDArray[Any], cfg: TrainConfig, start: dict[str, Any] | None = None
) -> Trained:
    """Fit both heads on dev, choose thresholds on holdout. Deterministic given rows, emb and cfg."""
    # One BLAS thread: the systems are a few hundred rows, where a thread pool on a shared machine costs 100x
    # the arithmetic (a 280 x 280 Cholesky took 1 s with the default pool), and one thread sums in one order.
    with threadpool_limits(limits=1):
        return _train(rows, emb, cfg, start)


def _train(
    rows: Sequence[dict[str, Any]], emb: npt.NDArray[Any], cfg: TrainConfig, start: dict[str, Any] | None
) -> Trained:
    texts = [r["text"] for r in rows]
    levels = [r["level"] for r in rows]
    dev = np.array([r["split"] == "dev" for r in rows])
    hold = np.array([r["split"] == "holdout" for r in rows])
    x = features(texts, emb, cfg)
    lv = np.array(levels)
    arrays: dict[str, npt.NDArray[Any]] = {}
    probs: dict[str, npt.NDArray[np.float64]] = {}
    dense_dim = emb.shape[1]
    for head, y in (("page", np.isin(lv, PAGED)), ("crisis", lv == "crisis")):
        init = weights_of(start, head, cfg.hashing.dim) if start is not None else None
        coef, bias = fit_head(x[dev], y[dev], cfg, init)
        grams = coef[dense_dim:]
        nz = np.flatnonzero(grams)
        arrays[f"{head}_dense"] = coef[:dense_dim].astype(np.float32)
        arrays[f"{head}_hash_idx"] = nz.astype(np.int32)
        arrays[f"{head}_hash_val"] = grams[nz].astype(np.float32)
        arrays[f"{head}_bias"] = np.array(bias, dtype=np.float32)
        probs[head] = sigmoid(x[hold] @ coef + bias)
    held_levels = [levels[i] for i in np.flatnonzero(hold)]
    thresholds, figures = choose_thresholds(probs["page"], probs["crisis"], held_levels, cfg)
    arrays["embeddings"] = emb.astype(np.float16)
    arrays["neighbour_rows"] = np.flatnonzero(dev).astype(np.int32)
    return Trained(arrays, thresholds, figures)


def _shown(path: Path) -> str:
    """A corpus file as the artefact names it: relative to the repo when inside it, so the test can find it."""
    full = path.resolve()
    return full.relative_to(ROOT).as_posix() if full.is_relative_to(ROOT) else str(path)


def build(paths: Sequence[Path], out: Path, cfg: TrainConfig | None = None) -> dict[str, Any]:
    """Encode, train and write the artefact (model.json + weights.npz) to `out`; returns the metadata."""
    cfg = cfg or TrainConfig()
    rows = read_rows(paths)
    t0 = time.perf_counter()
    emb = embed([r["text"] for r in rows])
    t1 = time.perf_counter()
    trained = train(rows, emb, cfg)
    t2 = time.perf_counter()
    meta = {
        "format": semantic.FORMAT_VERSION,
        "corpus": {
            "files": [_shown(p) for p in paths],
            "sha256": corpus_digest(paths),
            "rows": len(rows),
            "dev": int(sum(r["split"] == "dev" for r in rows)),
            "holdout": int(sum(r["split"] == "holdout" for r in rows)),
        },
        "encoder": semantic.encoder_fingerprint(),
        "hashing": asdict(cfg.hashing),
        "dense_scale": cfg.dense_scale,
        "train": {"c": cfg.c, "fp_budget": cfg.fp_budget, "review_budget": cfg.review_budget, "seed": cfg.seed},
        "thresholds": asdict(trained.thresholds),
        "holdout_model_alone": {k: round(v, 4) for k, v in trained.holdout.items()},
        "examples": [semantic.example_label(r["level"], r["text"]) for r in rows],
    }
    out.mkdir(parents=True, exist_ok=True)
    (out / semantic.META_FILE).write_text(json.dumps(meta, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    # numpy's stub types savez's **kwds as bool (allow_pickle's type leaks into it); they are arrays here.
    np.savez_compressed(out / semantic.WEIGHTS_FILE, **trained.arrays)  # type: ignore[arg-type]
    print(f"encoded {len(rows)} rows in {t1 - t0:.1f} s, trained in {t2 - t1:.1f} s -> {out}")
    print(json.dumps({"thresholds": meta["thresholds"], "holdout_model_alone": meta["holdout_model_alone"]}))
    return meta


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("extra", nargs="*", type=Path, help="more JSONL files with the corpus schema")
    ap.add_argument("--out", type=Path, default=semantic.ARTEFACT_DIR)
    args = ap.parse_args(argv)
    if any("blind" in p.name for p in args.extra):
        ap.error("blind sets are for evaluation only, never training")
    build([CORPUS, *args.extra], args.out)


if __name__ == "__main__":
    main()
