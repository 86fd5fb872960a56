"""Fitting and cross-validating the same-story model (pipeline/dedupe/story_model.py).

The model is fitted on the labelled pairs of both dev pair sets: the English one, and the
multilingual one (nine languages and pairs across languages). Each set weighs the same in the
fit, so that the 932 multilingual pairs do not drown the 141 English ones, the kind of text most
users ingest. Every figure reported is cross-validated (stratified k-fold by set and label,
repeated over shuffles; mean and spread of the folds) or fitted on one set and checked on the
other, never in-sample alone.

scikit-learn fits; the product only reads the coefficients written to story_model.json.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from pipeline.config import Settings
from pipeline.dedupe.compared import dedupe_text
from pipeline.dedupe.doc import embedding_text
from pipeline.dedupe.embedding import embed
from pipeline.dedupe.story_model import FEATURE_NAMES, StoryModel, feature_vector
from pipeline.dedupe.verify import Doc, compare, prepare
from pipeline.evaluation.dedupe import (
    CV_FOLDS,
    CV_SEEDS,
    DIFFERENT_STORY_MIN,
    SAME_STORY_MAX,
    load_pairs,
    run_pairs,
    score_pairs,
)

MODEL_VERSION = "story-lr-1"
THRESHOLD = 0.5  # a probability: not tuned (tuning it in-fold moved F1 by less than its spread)
REGULARISATION = 1.0  # scikit-learn's C, its default


@dataclass(frozen=True)
class PairSet:
    """The labelled pairs of one dev file as model inputs."""

    name: str
    pair_ids: list[str]
    features: np.ndarray  # one row per pair, FEATURE_NAMES in order
    same_story: np.ndarray  # bool per pair


def pair_set(name: str, path: Path) -> PairSet:
    """The unambiguous pairs of a dev file, each compared as placement compares two texts."""
    texts, pairs = load_pairs(path)
    labelled = [p for p in pairs if p.overall <= SAME_STORY_MAX or p.overall >= DIFFERENT_STORY_MIN]
    wanted = sorted({d for p in labelled for d in (p.first, p.second)})
    docs = _docs({d: texts[d] for d in wanted})
    rows = [feature_vector(compare(docs[p.first], docs[p.second]).scores) for p in labelled]
    return PairSet(
        name,
        [p.pair_id for p in labelled],
        np.array(rows, dtype=np.float64).reshape(len(rows), len(FEATURE_NAMES)),
        np.array([p.overall <= SAME_STORY_MAX for p in labelled]),
    )


def _docs(texts: dict[str, str]) -> dict[str, Doc]:
    """Each text's Doc (first line its title, as the dev sets write them); embedded in one
    batch, which is several times faster than one text at a time."""
    split = {d: t.partition("\n") for d, t in texts.items()}
    compared = {d: dedupe_text(title, body) for d, (title, _, body) in split.items()}
    vectors = embed([embedding_text(text) for text in compared.values()])
    return {
        d: prepare(text, None, split[d][0], vector)
        for (d, text), vector in zip(compared.items(), vectors, strict=True)
    }


def fit(sets: Sequence[PairSet], masks: Sequence[np.ndarray] | None = None) -> StoryModel:
    """The model fitted on `sets` (only the rows of each mask, when given), each set weighing
    the same in total."""
    from sklearn.linear_model import LogisticRegression

    chosen = masks or [np.ones(len(s.same_story), dtype=bool) for s in sets]
    x = np.vstack([s.features[m] for s, m in zip(sets, chosen, strict=True)])
    y = np.concatenate([s.same_story[m] for s, m in zip(sets, chosen, strict=True)])
    used = [m for m in chosen if m.any()]
    weights = np.concatenate([np.full(int(m.sum()), len(y) / (len(used) * m.sum())) for m in used])
    mean = np.average(x, axis=0, weights=weights)
    scale = np.sqrt(np.average((x - mean) ** 2, axis=0, weights=weights))
    scale[scale == 0] = 1.0
    regression = LogisticRegression(C=REGULARISATION, max_iter=1000)
    regression.fit((x - mean) / scale, y, sample_weight=weights)
    return StoryModel(
        version=MODEL_VERSION,
        features=FEATURE_NAMES,
        mean=tuple(float(v) for v in mean),
        scale=tuple(float(v) for v in scale),
        coef=tuple(float(v) for v in regression.coef_[0]),
        intercept=float(regression.intercept_[0]),
        threshold=THRESHOLD,
        fitted_on={s.name: int(m.sum()) for s, m in zip(sets, chosen, strict=True)},
    )


def predict(model: StoryModel, features: np.ndarray) -> np.ndarray:
    """The model's decision for each row, as classify() takes it (StoryModel.links)."""
    return np.array([model.links(row) for row in features.tolist()], dtype=bool)


def _f1(gold: np.ndarray, predicted: np.ndarray) -> float:
    return score_pairs(list(zip(gold.tolist(), predicted.tolist(), strict=True))).f1


def fold_masks(pairs: PairSet, seed: int, k: int = CV_FOLDS) -> list[np.ndarray]:
    """A stratified k-fold split of one set: for each fold, the mask of its test pairs."""
    rng = np.random.default_rng(seed)
    fold_of = np.empty(len(pairs.same_story), dtype=int)
    for label in (True, False):
        members = np.flatnonzero(pairs.same_story == label)
        rng.shuffle(members)
        fold_of[members] = np.arange(len(members)) % k
    return [fold_of == f for f in range(k)]


@dataclass
class CrossValidation:
    folds: dict[str, list[float]]  # per set, the F1 of each test fold

    def line(self, name: str) -> str:
        return f"{name}: " + "; ".join(
            f"{s} F1 {statistics.fmean(v):.4f} +- {statistics.pstdev(v):.4f}"
            for s, v in self.folds.items()
        )


def cross_validate(sets: Sequence[PairSet], seeds: int = CV_SEEDS) -> CrossValidation:
    """Each set split k ways; fold f of every set is held out together while the model is
    fitted on the rest of both."""
    folds: dict[str, list[float]] = {s.name: [] for s in sets}
    for seed in range(seeds):
        split = [fold_masks(s, seed) for s in sets]
        for f in range(CV_FOLDS):
            model = fit(sets, [~masks[f] for masks in split])
            for s, masks in zip(sets, split, strict=True):
                test = masks[f]
                folds[s.name].append(_f1(s.same_story[test], predict(model, s.features[test])))
    return CrossValidation(folds)


def _without(pairs: PairSet, column: int) -> PairSet:
    """The pairs with one feature left out: a constant column, which the fit gives no weight."""
    features = pairs.features.copy()
    features[:, column] = 0.0
    return PairSet(pairs.name, pairs.pair_ids, features, pairs.same_story)


def cross_fit(fit_on: PairSet, check_on: PairSet) -> float:
    """F1 on one set of the model fitted on the other alone."""
    model = fit([fit_on])
    return _f1(check_on.same_story, predict(model, check_on.features))


def write(model: StoryModel, path: Path, figures: dict[str, Any]) -> None:
    import json

    data = model.to_json()
    data["fitted_on"] = {**model.fitted_on, **figures}
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def placement_folds(
    path: Path, english: PairSet, others: Sequence[PairSet], settings: Settings,
    seeds: int = CV_SEEDS,
) -> tuple[list[float], int]:  # fmt: skip
    """The English pairs through the product's own path (LSH candidates, screen, verify,
    stories), fold by fold: each fold placed with a model fitted without its pairs. Returns
    the F1 of each fold and how many different-story pairs were merged as duplicates."""
    folds: list[float] = []
    merged = 0
    for seed in range(seeds):
        for test in fold_masks(english, seed):
            model = fit([english, *others], [~test, *(np.ones(len(o.same_story), bool)
                                                     for o in others)])  # fmt: skip
            run = run_pairs(path, settings, model=model)
            if [p.pair_id for p in run.labelled] != english.pair_ids:
                raise ValueError(f"{path}: the pairs are not those the model was fitted on")
            chosen = np.flatnonzero(test).tolist()
            folds.append(
                score_pairs([(run.gold(run.labelled[i]), run.same_story[i]) for i in chosen]).f1
            )
            merged += sum(run.duplicate[i] and not run.gold(run.labelled[i]) for i in chosen)
    return folds, merged


def _candidate_recall(path: Path, pairs: PairSet, settings: Settings) -> str:
    """How many same-story pairs the LSH schemes never propose, and how many of those the
    model would link if they were compared: what a semantic candidate lookup could add."""
    run = run_pairs(path, settings)
    if [p.pair_id for p in run.labelled] != pairs.pair_ids:
        raise ValueError(f"{path}: the pairs are not those the model was fitted on")
    model = fit([pairs])  # fitted on this set alone: the most it could find here
    linked = predict(model, pairs.features)
    missed = [i for i, p in enumerate(run.labelled) if run.gold(p) and not run.candidates[i]]
    positives = int(pairs.same_story.sum())
    return (
        f"  {pairs.name} pairs: LSH candidate recall of same-story pairs "
        f"{positives - len(missed)}/{positives}; of the {len(missed)} missed, the model "
        f"(fitted on this set) would link {int(linked[missed].sum())} if they were compared"
    )


def _spread(values: Sequence[float]) -> str:
    return (
        f"F1 {statistics.fmean(values):.4f} +- {statistics.pstdev(values):.4f} "
        f"(min {min(values):.4f}, max {max(values):.4f})"
    )


def eval_model(
    english_path: Path, multilingual_path: Path, settings: Settings, write_to: Path | None = None
) -> list[str]:
    """`newsdedup eval dedupe`'s same-story model section; with `write_to`, the model fitted
    on all labelled pairs of both sets is written there (what ships as story_model.json)."""
    english = pair_set("english", english_path)
    multilingual = pair_set("multilingual", multilingual_path)
    sets = [english, multilingual]
    validated = cross_validate(sets)
    placed, merged = placement_folds(english_path, english, [multilingual], settings)
    recall = _candidate_recall(multilingual_path, multilingual, settings)
    lines = [
        f"same-story model (logistic regression over {len(FEATURE_NAMES)} signals; fitted on "
        f"{len(english.same_story)} English and {len(multilingual.same_story)} multilingual "
        "labelled pairs, each set weighing the same):",
        f"  pairs compared directly, {CV_FOLDS}-fold stratified x {CV_SEEDS} shuffles: "
        + "; ".join(f"{name} {_spread(v)}" for name, v in validated.folds.items()),
        f"  English pairs through placement (LSH, screen, verify, stories), each fold placed "
        f"with a model fitted without it: {_spread(placed)}; different-story pairs merged as "
        f"duplicates {merged} (over all folds and shuffles)",
        f"  fitted on one set, checked on the other: English -> multilingual F1 "
        f"{cross_fit(english, multilingual):.4f}; multilingual -> English F1 "
        f"{cross_fit(multilingual, english):.4f}",
        recall,
        "  each signal left out (refitted, cross-validated and cross-fitted as above):",
    ]
    for feature in FEATURE_NAMES:
        column = FEATURE_NAMES.index(feature)
        english_without, multilingual_without = (_without(s, column) for s in sets)
        without = cross_validate([english_without, multilingual_without])
        lines.append(
            f"    without {feature:26s} "
            + "; ".join(f"{n} F1 {statistics.fmean(v):.4f}" for n, v in without.folds.items())
            + f"; English -> multilingual {cross_fit(english_without, multilingual_without):.4f}"
            f", multilingual -> English {cross_fit(multilingual_without, english_without):.4f}"
        )
    if write_to is not None:
        figures = {
            "cross_validated_f1": {
                n: round(statistics.fmean(v), 4) for n, v in validated.folds.items()
            },
            "english_placement_f1": round(statistics.fmean(placed), 4),
        }
        write(fit(sets), write_to, figures)
        lines.append(f"  written: {write_to} (fitted on every labelled pair of both sets)")
    return lines
