"""`newsdedup eval stories`: B-cubed, cross-fitting, the reshuffled copy, the TF-IDF baseline,
and one whole run over a tiny labelled stream against a real PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from pipeline.cli import main
from pipeline.config import DedupeSettings
from pipeline.evaluation.stories import (
    THRESHOLDS,
    Stream,
    bcubed,
    copy_reshuffled,
    cross_fit,
    load_stream,
    reshuffled_names,
)
from pipeline.evaluation.story_baseline import BaselineDoc, SinglePass
from pipeline.evaluation.story_replay import JOIN_THRESHOLDS
from pipeline.evaluation.story_store import SCRATCH_PREFIX, database_exists, scratch_name
from pipeline.sources.files import source_uri_for


def test_bcubed_of_hand_made_partitions() -> None:
    gold = {"a": "x", "b": "x", "c": "x", "d": "y", "e": "y"}
    predicted = {"a": 1, "b": 1, "c": 2, "d": 2, "e": 3}
    score = bcubed(gold, predicted)
    # precision per item: a 2/2, b 2/2, c 1/2 (c d: x y), d 1/2, e 1/1 -> 4/5
    # recall per item: a 2/3, b 2/3 (x is a b c), c 1/3, d 1/2, e 1/2 -> (8/3) / 5 = 8/15
    # F1 = 2 * 4/5 * 8/15 / (4/5 + 8/15) = (64/75) / (20/15) = 0.64
    assert score.precision == pytest.approx(4 / 5)
    assert score.recall == pytest.approx(8 / 15)
    assert score.f1 == pytest.approx(0.64)
    assert score.documents == 5
    assert bcubed(gold, {"a": 1, "b": 1, "c": 1, "d": 2, "e": 2}).f1 == pytest.approx(1.0)


def test_bcubed_counts_a_missing_article_alone_and_ignores_unlabelled_ones() -> None:
    gold = {"a": "x", "b": "x", "c": "y"}
    # b was not loaded: a story of one. z is not labelled: not counted in c's story.
    score = bcubed(gold, {"a": 7, "c": 8, "z": 8})
    # precision 1, 1, 1; recall a 1/2, b 1/2, c 1/1 -> 2/3; F1 = 2 * 2/3 / (5/3) = 0.8
    assert score.precision == pytest.approx(1.0)
    assert score.recall == pytest.approx(2 / 3)
    assert score.f1 == pytest.approx(0.8)
    # everything alone: precision 1, recall (1/2 + 1/2 + 1) / 3 = 2/3
    assert bcubed(gold, {}).recall == pytest.approx(2 / 3)


def test_cross_fit_chooses_on_the_other_streams() -> None:
    scores = {
        "a": {0.1: 0.5, 0.2: 0.9, 0.3: 0.6},
        "b": {0.1: 0.95, 0.2: 0.5, 0.3: 0.2},
        "c": {0.1: 0.4, 0.2: 0.6, 0.3: 0.8},
    }
    # a held out: mean of b, c at 0.1 0.675, 0.2 0.55, 0.3 0.5 -> 0.1, where a scores 0.5
    # b held out: mean of a, c at 0.1 0.45, 0.2 0.75, 0.3 0.7 -> 0.2, where b scores 0.5
    # c held out: mean of a, b at 0.1 0.725, 0.2 0.7, 0.3 0.4 -> 0.1, where c scores 0.4
    assert cross_fit(scores) == {"a": (0.1, 0.5), "b": (0.2, 0.5), "c": (0.1, 0.4)}
    assert cross_fit({"a": scores["a"]}) == {}
    # a tie goes to the lower threshold
    assert cross_fit({"a": {0.1: 0.3, 0.2: 0.3}, "b": {0.1: 0.7, 0.2: 0.7}})["a"] == (0.1, 0.3)
    assert THRESHOLDS[0] == 0.1 and THRESHOLDS[-1] == 0.5 and len(THRESHOLDS) == 17


def test_reshuffled_names_keep_each_day_and_map_back() -> None:
    stems = [f"2024-03-0{day}_{name}" for day in (1, 2) for name in "abcdef"]
    names = reshuffled_names(stems, seed=0)
    assert sorted(names.values()) == sorted(stems)  # a bijection back to the originals
    for new, old in names.items():
        assert new[:11] == old[:11]  # the day and its underscore
    in_order = [names[new] for new in sorted(names)]
    assert [s[:10] for s in in_order] == [s[:10] for s in sorted(stems)]  # days stay in order
    shuffles = [reshuffled_names(stems, seed) for seed in range(5)]
    orders = {tuple(shuffle[new] for new in sorted(shuffle)) for shuffle in shuffles}
    assert len(orders) > 1  # the seed decides the order within each day
    assert reshuffled_names(stems, seed=3) == reshuffled_names(stems, seed=3)
    undated = reshuffled_names(["ecb_1_2", "ecb_1_10", "other"], seed=1)
    assert sorted(undated) == ["0", "1", "2"]  # one day: the whole stream
    assert sorted(undated.values()) == ["ecb_1_10", "ecb_1_2", "other"]


def test_reshuffled_copy_keeps_the_bytes_under_new_names(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    for stem in ("2024-03-01_x", "2024-03-01_y", "2024-03-02_z"):
        (docs / f"{stem}.html").write_text(f"<p>{stem}</p>")
    stream = Stream("s", {}, sorted(docs.iterdir()), dated=True)
    into = tmp_path / "copy"
    into.mkdir()
    files, stems = copy_reshuffled(stream, 0, into)
    assert [f.name[:11] for f in files] == ["2024-03-01_", "2024-03-01_", "2024-03-02_"]
    for path in files:
        original = stems[source_uri_for(path)]
        assert path.read_text() == f"<p>{original}</p>"


def test_load_stream_reads_pages_beside_the_labels(tmp_path: Path) -> None:
    (tmp_path / "labels.json").write_text(json.dumps({"labels": {"b": "e1", "a": "e1"}}))
    (tmp_path / "b.html").write_text("<p>b</p>")
    (tmp_path / "a.html").write_text("<p>a</p>")
    stream = load_stream(tmp_path)
    assert [p.name for p in stream.files] == ["a.html", "b.html"]  # not labels.json
    assert stream.labels == {"a": "e1", "b": "e1"} and not stream.dated
    assert scratch_name("Gva-Dev 2") == f"{SCRATCH_PREFIX}gva_dev_2"


def test_single_pass_joins_active_similar_stories_only() -> None:
    day = datetime(2024, 3, 1, tzinfo=UTC)
    volcano = "Volcano erupts on Kelani island; lava reaches the harbour, ash closes airport"
    council = "Riverton council approves stadium budget after a long vote on taxes"
    docs = [
        BaselineDoc("v1", volcano, day),
        BaselineDoc("v2", volcano, day + timedelta(days=5)),
        BaselineDoc("c1", council, day + timedelta(days=6)),
        BaselineDoc("c2", council + " tonight", day + timedelta(days=7)),
        BaselineDoc("v3", volcano, day + timedelta(days=50)),  # v2 is 45 days old: inactive
        BaselineDoc("v4", volcano, None),  # undated: sees every story, the first best one
        BaselineDoc("lone", "Quizzical zebras", day),  # no word in two articles
    ]
    stories = SinglePass(docs).stories(0.25)
    assert stories["v1"] == stories["v2"] == stories["v4"] != stories["v3"]
    assert stories["c1"] == stories["c2"] != stories["v1"]
    assert len(set(stories.values())) == 4
    assert len(set(SinglePass(docs).stories(1.01).values())) == len(docs)


def _page(title: str, day: str, outlet: str, paragraphs: list[str]) -> str:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f'<!doctype html><html><head><meta charset="utf-8"><title>{title}</title>'
        f'<meta property="article:published_time" content="{day}">'
        f'<meta property="og:site_name" content="{outlet}"></head>'
        f"<body><article><h1>{title}</h1>{body}</article></body></html>"
    )


FIRE = [
    "A fire tore through the Hallworth textile warehouse in Millbrook early on Friday, and "
    "forty firefighters from three stations fought the blaze for six hours.",
    "Fire chief Dana Okafor said the roof of the warehouse on Quarry Lane collapsed shortly "
    "after dawn, and nobody was inside when the flames spread.",
    "Investigators from the county fire marshal's office will examine the wiring of the "
    "building, which stored bales of cotton and polyester yarn.",
    "Residents of the nearby Elmstead estate were told to keep their windows shut because of "
    "the thick smoke drifting over the river.",
]
FIRE_TWO = [
    "Firefighters spent six hours battling flames at the Hallworth warehouse in Millbrook, "
    "where bales of yarn fed a blaze that brought down the roof on Quarry Lane.",
    "Chief Dana Okafor praised crews from the three stations and said the building had been "
    "empty overnight, so no one was hurt.",
    "The county fire marshal has opened an inquiry into the cause, with the old wiring of the "
    "textile store the first thing to be checked.",
]
FIRE_THREE = [
    "Smoke from the burnt-out Hallworth textile warehouse still hung over Millbrook on "
    "Saturday as the county fire marshal began examining the ruins on Quarry Lane.",
    "Dana Okafor, the fire chief, said the collapse of the roof had made the site dangerous "
    "and that investigators would work from cranes.",
    "Hallworth, which employs ninety people, said staff would be paid while the company looks "
    "for another warehouse near Millbrook.",
]
STADIUM = [
    "The Riverton city council voted seven to four on Thursday to lend forty million dollars "
    "toward a new football stadium beside the Calder river docks.",
    "Mayor Ilse Brandvold said the loan would be repaid from ticket surcharges, while "
    "councillor Tomas Ruiz called the deal a gift to the club's owners.",
    "Construction on the Calder docks site is expected to begin next spring and to last "
    "about two years, according to the stadium's planning documents.",
]
STADIUM_TWO = [
    "Riverton councillors approved a forty million dollar loan for the football club's new "
    "stadium at the Calder docks after a heated four-hour debate.",
    "Ilse Brandvold, the mayor, defended the surcharge on tickets that is meant to repay the "
    "city, and Tomas Ruiz voted against the plan.",
    "Work on the riverside stadium could start in the spring, planning papers show.",
]
STADIUM_THREE = [
    "Opponents of the Calder docks stadium in Riverton said on Friday they would collect "
    "signatures for a referendum on the council's forty million dollar loan.",
    "Councillor Tomas Ruiz joined the campaigners outside city hall and said Mayor Ilse "
    "Brandvold had rushed the vote through in a single evening.",
    "The club said the stadium would bring two thousand jobs to the docks.",
]
ORCHESTRA = [
    "The Vantaa Youth Orchestra won the European brass band championship in Lucerne on "
    "Sunday with a programme of Sibelius and new work by composer Aino Lehtinen.",
    "Conductor Pekka Saarinen said the ninety young players had rehearsed every weekend "
    "since January, often in a school gymnasium.",
    "The orchestra will tour Japan in the autumn, its first concerts outside Europe.",
]


def _write_stream(folder: Path) -> dict[str, str]:
    pages = {
        "2024-03-01_fire-herald": ("Warehouse fire in Millbrook", "Millbrook Herald", FIRE),
        "2024-03-01_fire-post": ("Millbrook blaze destroys warehouse", "County Post", FIRE_TWO),
        "2024-03-01_stadium-times": ("Council backs stadium loan", "Riverton Times", STADIUM),
        "2024-03-01_stadium-wire": ("Stadium loan approved", "Wire Daily", STADIUM_TWO),
        "2024-03-02_fire-gazette": ("Fire inquiry begins", "Valley Gazette", FIRE_THREE),
        "2024-03-02_stadium-news": ("Stadium referendum drive", "Riverton News", STADIUM_THREE),
        "2024-03-02_orchestra": ("Youth orchestra wins", "Arts Weekly", ORCHESTRA),
    }
    docs = folder / "docs"
    docs.mkdir(parents=True)
    labels: dict[str, str] = {}
    for stem, (title, outlet, paragraphs) in pages.items():
        (docs / f"{stem}.html").write_text(_page(title, stem[:10], outlet, paragraphs))
        labels[stem] = stem.split("_")[1].split("-")[0]
    # an exact copy of the first fire report, arriving the next day under another name
    copy = "2024-03-02_fire-copy"
    (docs / f"{copy}.html").write_bytes((docs / "2024-03-01_fire-herald.html").read_bytes())
    labels[copy] = "fire"
    (folder / "labels.json").write_text(json.dumps({"labels": labels}))
    return labels


def test_eval_stories_scores_a_tiny_stream(
    tmp_path: Path, pg_server: str, database_url: str
) -> None:
    stream = tmp_path / "tiny_stream"
    labels = _write_stream(stream)
    out = tmp_path / "figures.json"
    code = main(["eval", "stories", str(stream), "--database-url", database_url,
                 "--json", str(out)])  # fmt: skip
    assert code == 0
    (figures,) = json.loads(out.read_text())["streams"]
    assert figures["stream"] == "tiny_stream" and figures["labelled"] == len(labels) == 8
    assert figures["loaded"] == 8 and figures["not_loaded"] == 0
    # events fire 4 (with the copy), stadium 3, orchestra 1: alone, recall (1 + 1 + 1) / 8
    assert figures["each_alone"]["precision"] == 1.0
    assert figures["each_alone"]["recall"] == pytest.approx(3 / 8)
    assert figures["each_alone"]["f1"] == pytest.approx(2 * (3 / 8) / (1 + 3 / 8))
    # the copy is a duplicate of its original, of the same event, sharing its sentences
    assert figures["duplicates"] >= 1 and figures["duplicates_across_events"] == 0
    assert figures["largest_event"] == 4 and figures["largest_story"] >= 2
    # stories never join the fire to the stadium; at least the copy is with its original
    product = figures["product"]
    assert product["precision"] == 1.0
    assert product["recall"] >= (2 * 2 / 4 + 2 * 1 / 4 + 3 * 1 / 3 + 1) / 8
    baseline = figures["baseline"]
    assert baseline["precision"] == 1.0 and baseline["f1"] > figures["each_alone"]["f1"]
    assert set(figures["baseline_curve"]) == {f"{t:.3f}" for t in THRESHOLDS}
    # the product's story assignment replayed at each story_join: at the shipped one it builds
    # what ingest built (the same path, in memory)
    replayed = figures["product_curve"]
    assert set(replayed) == {f"{t:.3f}" for t in JOIN_THRESHOLDS}
    shipped = f"{DedupeSettings().story_join:.3f}"
    assert replayed[shipped]["f1"] == pytest.approx(product["f1"])
    assert figures["fitted"]["baseline"]["cross_fitted"] is None  # one stream: nothing held out
    assert figures["reshuffle_f1"] == pytest.approx(1.0)
    for suffix in ("", "_reshuffled"):  # both scratch databases are gone
        assert not database_exists(pg_server, scratch_name("tiny_stream", suffix))
