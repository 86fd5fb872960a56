"""`newsdedup eval stories DIR ...`: the product's stories on labelled news streams.

A stream folder holds `labels.json` ({"labels": {file stem: event}}) and its pages, in `docs/`
or beside the labels; file names sort in arrival order, and a dated stream's start with
`YYYY-MM-DD_` (../shared/datasets/story-streams). Each stream is ingested by the product into a
scratch database and its `story_id`s scored with B-cubed against the events, beside two plain
baselines (each article alone; the TF-IDF single pass of story_baseline.py) and checks of what
the product merged (story_checks.py). The same files are then ingested again with each day's
files in another order, and the two runs' stories compared.
"""

from __future__ import annotations

import json
import random
import re
import shutil
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from statistics import fmean

from pipeline.config import Settings
from pipeline.evaluation.metric import Score
from pipeline.evaluation.story_baseline import BaselineDoc, SinglePass
from pipeline.evaluation.story_checks import Merge, cross_event, duplicate_merges, unshared
from pipeline.evaluation.story_replay import (
    JOIN_THRESHOLDS,
    at_join_threshold,
    place_stream,
    replay,
)
from pipeline.evaluation.story_store import (
    Loaded,
    StoredArticle,
    read_loaded,
    scratch_database,
    scratch_name,
)
from pipeline.sources.files import discover_files, source_uri_for

# The grid thresholds are fitted on: 0.100, 0.125, ..., 0.500.
THRESHOLDS = tuple(round(0.1 + 0.025 * step, 3) for step in range(17))
_DAY = re.compile(r"^(\d{4}-\d{2}-\d{2})_")

# Loads files, in the order given, into the database at a URL through the product's ingest.
# The command line supplies it: evaluation and ingest are one layer, neither imports the other.
Ingest = Callable[[str, Sequence[Path]], None]


class StreamError(ValueError):
    """A folder that is not a labelled stream."""


@dataclass(frozen=True)
class Stream:
    name: str
    labels: dict[str, str]  # file stem -> event
    files: list[Path]  # in arrival order
    dated: bool  # every file name starts with its date

    @property
    def stems(self) -> dict[str, str]:
        """source_uri (as ingest stores it) -> file stem."""
        return {source_uri_for(path): path.stem for path in self.files}


def load_stream(folder: Path) -> Stream:
    labels_file = folder / "labels.json"
    if not labels_file.is_file():
        raise StreamError(f"no labels.json in {folder}")
    try:
        labels = json.loads(labels_file.read_text(encoding="utf-8"))["labels"]
    except (ValueError, KeyError, TypeError) as exc:
        raise StreamError(
            f"{labels_file}: expected {{'labels': {{stem: event}}}} ({exc})"
        ) from None
    docs = folder / "docs" if (folder / "docs").is_dir() else folder
    files = discover_files([docs]).inputs
    if not files:
        raise StreamError(f"no pages in {docs}")
    dated = all(_DAY.match(path.stem) for path in files)
    name = folder.resolve().name
    return Stream(name, {str(k): str(v) for k, v in labels.items()}, files, dated)


def bcubed(gold: Mapping[str, Hashable], predicted: Mapping[str, Hashable]) -> Score:
    """B-cubed precision and recall of `predicted` clusters against `gold` ones, averaged over
    gold's items; an item `predicted` lacks is a cluster of its own, and items gold lacks are
    left out of every cluster."""
    alone = object()  # equal to no cluster id
    clusters = {item: predicted.get(item, (alone, item)) for item in gold}
    both = Counter((gold[item], clusters[item]) for item in gold)
    gold_sizes, predicted_sizes = Counter(gold.values()), Counter(clusters.values())
    if not gold:
        return Score(0.0, 0.0, 0)
    # the n items of one (event, cluster) cell each see n of their cluster and of their event
    precision = sum(n * n / predicted_sizes[p] for (_, p), n in both.items())
    recall = sum(n * n / gold_sizes[g] for (g, _), n in both.items())
    return Score(precision / len(gold), recall / len(gold), len(gold))


def cross_fit(scores_by_stream: dict[str, dict[float, float]]) -> dict[str, tuple[float, float]]:
    """Held-out stream -> (the threshold with the best mean F1 over the other streams, the F1
    it gives on the held-out one). Ties go to the lower threshold; one stream gives nothing."""
    fitted: dict[str, tuple[float, float]] = {}
    for held_out, scores in scores_by_stream.items():
        others = [s for name, s in scores_by_stream.items() if name != held_out]
        grid = sorted(set(scores).intersection(*others)) if others else []
        if grid:
            best = max(grid, key=lambda t: (fmean(other[t] for other in others), -t))
            fitted[held_out] = (best, scores[best])
    return fitted


def reshuffled_names(stems: Sequence[str], seed: int) -> dict[str, str]:
    """New stem -> original stem: the days keep their order and each day's files take a random
    (seeded) order. The new stem keeps the day (a page without a date of its own could be
    dated from its name); a stream whose names are not all dated is one day."""
    days = {stem: match.group(1) if (match := _DAY.match(stem)) else "" for stem in stems}
    dated = all(days.values())
    by_day: dict[str, list[str]] = defaultdict(list)
    for stem in sorted(stems):
        by_day[days[stem] if dated else ""].append(stem)
    rng = random.Random(seed)
    width = len(str(len(stems)))
    names: dict[str, str] = {}
    for day, members in sorted(by_day.items()):
        rng.shuffle(members)
        for position, stem in enumerate(members):
            names[f"{day}_{position:0{width}d}" if day else f"{position:0{width}d}"] = stem
    return names


def copy_reshuffled(stream: Stream, seed: int, into: Path) -> tuple[list[Path], dict[str, str]]:
    """The stream's files copied under reshuffled names; (the copies in name order, their
    source_uri -> original stem)."""
    paths = {path.stem: path for path in stream.files}
    copies: dict[Path, str] = {}
    for new, old in reshuffled_names(list(paths), seed).items():
        copy = into / f"{new}{''.join(paths[old].suffixes)}"
        shutil.copyfile(paths[old], copy)
        copies[copy] = old
    return sorted(copies), {source_uri_for(copy): old for copy, old in copies.items()}


@dataclass(frozen=True)
class Options:
    threshold: float = 0.25  # the baseline's reported threshold
    seed: int = 0
    reshuffle: bool = True
    keep: bool = False  # keep the scratch databases


@dataclass
class StreamResult:
    name: str
    labels: dict[str, str] = field(repr=False)
    files: int
    labelled: int
    loaded: int  # labelled articles stored
    rejected: dict[str, int]  # reason -> inputs of the stream
    product: Score
    alone: Score
    baseline: Score  # at Options.threshold
    baseline_curve: dict[float, Score]  # at each of THRESHOLDS
    duplicates: int  # stored articles that are a copy of another
    cross_event: list[Merge]  # duplicates whose canonical is of another event
    unshared: list[Merge]  # duplicates that share no sentence with their canonical
    largest_story: int  # labelled articles of the largest story
    largest_event: int
    reshuffle_f1: float | None = None
    seconds: float = 0.0
    databases: list[str] = field(default_factory=list)  # the URLs kept (--keep)
    # the product's stories replayed at each story_join threshold (story_replay.py)
    product_curve: dict[float, Score] = field(default_factory=dict)

    @property
    def not_loaded(self) -> int:
        return self.labelled - self.loaded


Say = Callable[[str], None]


def evaluate_streams(
    folders: Sequence[Path], server_url: str, ingest: Ingest, options: Options, say: Say
) -> list[StreamResult]:
    """Every stream, one after the other (each is checked before any is loaded)."""
    streams = [load_stream(folder) for folder in folders]
    names = Counter(stream.name for stream in streams)
    if twice := [name for name, count in names.items() if count > 1]:
        raise StreamError(f"two streams named {', '.join(twice)}: their databases would clash")
    return [evaluate_stream(stream, server_url, ingest, options, say) for stream in streams]


@dataclass
class _Loader:
    """Ingests one stream's files into scratch databases on the server of `server_url`."""

    stream: Stream
    server_url: str
    ingest: Ingest
    options: Options
    say: Say
    kept: list[str] = field(default_factory=list)  # the databases' URLs, with --keep

    def load(self, files: Sequence[Path], stems: Mapping[str, str], suffix: str = "") -> Loaded:
        name = scratch_name(self.stream.name, suffix)
        with scratch_database(self.server_url, name, self.options.keep) as url:
            self.say(f"{self.stream.name}: ingesting {len(files)} files into database {name}")
            self.ingest(url, files)
            if self.options.keep:
                self.kept.append(url)
            return read_loaded(url, stems)

    def reshuffle_f1(self, first: Mapping[str, int]) -> float:
        """B-cubed F1 of a second run, each day's files in another order, against the first
        (an article one run did not load is a story of its own there)."""
        with tempfile.TemporaryDirectory(prefix="newsdedup-reshuffle-") as folder:
            files, stems = copy_reshuffled(self.stream, self.options.seed, Path(folder))
            loaded = self.load(files, stems, "_reshuffled")
        second = {a.stem: a.story_id for a in loaded.articles}
        every = [path.stem for path in self.stream.files]
        return bcubed({stem: first.get(stem, stem) for stem in every}, second).f1


def evaluate_stream(
    stream: Stream, server_url: str, ingest: Ingest, options: Options, say: Say
) -> StreamResult:
    started = time.monotonic()
    loader = _Loader(stream, server_url, ingest, options, say)
    articles = loader.load(stream.files, stream.stems)
    labels = stream.labels
    stories = {a.stem: a.story_id for a in articles.articles}
    say(f"{stream.name}: baseline over {len(THRESHOLDS)} thresholds")
    docs = [BaselineDoc(a.stem, a.text, _date(a, stream.dated)) for a in articles.articles]
    passes = SinglePass(docs)
    merges = duplicate_merges(articles.articles)
    result = StreamResult(
        name=stream.name,
        labels=labels,
        files=len(stream.files),
        labelled=len(labels),
        loaded=len(stories.keys() & labels.keys()),
        rejected=dict(articles.rejected),
        product=bcubed(labels, stories),
        alone=bcubed(labels, {stem: stem for stem in labels}),
        baseline=bcubed(labels, passes.stories(options.threshold)),
        baseline_curve={t: bcubed(labels, passes.stories(t)) for t in THRESHOLDS},
        duplicates=len(merges),
        cross_event=cross_event(merges, labels),
        unshared=unshared(merges),
        largest_story=_largest({s: stories[s] for s in labels if s in stories}),
        largest_event=_largest(labels),
        databases=loader.kept,
    )
    say(f"{stream.name}: the product's stories replayed at {len(JOIN_THRESHOLDS)} thresholds")
    result.product_curve = _replayed(articles.articles, labels)
    if options.reshuffle:
        result.reshuffle_f1 = loader.reshuffle_f1(stories)
    result.seconds = time.monotonic() - started
    return result


def _replayed(articles: Sequence[StoredArticle], labels: Mapping[str, str]) -> dict[float, Score]:
    settings = Settings.from_env()
    placed = place_stream(articles, settings)
    stems = [a.stem for a in articles]
    curve = {}
    for join in JOIN_THRESHOLDS:
        stories = replay(placed, at_join_threshold(settings, join))
        curve[join] = bcubed(labels, dict(zip(stems, stories, strict=True)))
    return curve


def _date(article: StoredArticle, dated: bool) -> datetime | None:
    """The date the baseline windows by: in a dated stream the stored date, else the file
    name's; none in an undated stream, where the dates ingest found are guesses from the text."""
    if not dated:
        return None
    if article.published_at is not None:
        return article.published_at
    match = _DAY.match(article.stem)
    return datetime.fromisoformat(match.group(1)).replace(tzinfo=UTC) if match else None


def _largest(groups: Mapping[str, Hashable]) -> int:
    return max(Counter(groups.values()).values(), default=0)
