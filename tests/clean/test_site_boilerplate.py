"""Learned site boilerplate: lines one site repeats across its articles, counted in Postgres."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from pipeline import store
from pipeline.clean import clean_paragraphs
from pipeline.clean.site import SiteBoilerplate, line_key, line_keys
from pipeline.cli import main
from pipeline.config import Settings
from pipeline.extract.core import Extracted
from pipeline.ingest import batch, text_work
from tests.conftest import query

# No general rule knows this wording: only its recurrence across articles marks it.
HOUSE_LINE = "The Valley Courier has reported on the upper Tamar valley since eighteen ninety one."
REPEATED_QUOTE = "We will rebuild the bridge before the winter, the mayor told the council."

STORIES = [
    [
        "Heavy snow closed the northern pass on Monday and stranded two coaches of tourists "
        "near the summit until rescue teams arrived with tracked vehicles.",
        "Highway officials said ploughs would work through the night to reopen one lane.",
        "Drivers were told to carry chains, blankets and water until further notice.",
        "The pass was last closed this early in the season during the storms of 2009.",
        "Schools in the three villages below the summit will stay shut on Tuesday.",
    ],
    [
        "The regional orchestra announced a new conductor, a violinist from Lisbon who led "
        "youth ensembles in Porto and Coimbra for a decade.",
        "Her first season opens in September with a programme of Portuguese composers.",
        "Subscriptions for the season went on sale this morning at the concert hall.",
        "The previous conductor retired in June after nineteen years with the ensemble.",
        "Rehearsals will move to the renovated chapel while the main stage is rebuilt.",
    ],
    [
        "Farmers reported the smallest apple harvest in twenty years after a late frost in "
        "April damaged blossom across most of the eastern orchards.",
        "Cider makers expect prices to rise by a third before the spring.",
        "Several growers have applied for emergency loans from the agriculture ministry.",
        "Pear and plum yields were close to normal because those trees flowered later.",
        "Seasonal pickers from abroad left weeks earlier than planned this autumn.",
    ],
    [
        "A local bakery won the national sourdough prize with a loaf fermented for three days "
        "using flour milled at the old water mill by the weir.",
        "The owners plan to open a second shop near the railway station next year.",
        "Judges praised the crust, the open crumb and the faint taste of rye.",
        "The bakery employs eleven people and sells about six hundred loaves a day.",
        "Its founder learned the trade in Vienna before returning home in 2012.",
    ],
]


def _write(folder: Path, name: str, paragraphs: list[str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text("\n\n".join(paragraphs) + "\n", encoding="utf-8")
    return path


def _ingest(database_url: str, path: Path) -> None:
    assert main(["ingest", "--database-url", database_url, str(path)]) == 0


def test_a_line_a_site_repeats_is_removed_from_its_next_articles(
    database_url: str, db: store.Connection, tmp_path: Path
) -> None:
    site = tmp_path / "valley-courier"
    for number, story in enumerate(STORIES[:3]):
        _ingest(database_url, _write(site, f"story-{number}.txt", [*story, HOUSE_LINE]))
        if number == 0:  # one article: its lines are counted, their texts not kept yet
            ((lines, texts),) = query(db, "SELECT count(*), count(line) FROM site_lines")
            assert lines >= len(story) and texts == 0
    # Three different articles carried it and kept it: the count alone does not remove.
    assert query(db, "SELECT count(*) FROM articles WHERE body LIKE %s", (f"%{HOUSE_LINE}%",)) == [
        (3,)
    ]
    assert query(db, "SELECT articles FROM site_lines WHERE line = %s", (HOUSE_LINE,)) == [(3,)]

    # The fourth article also repeats a quote twice inside itself.
    fourth = [STORIES[3][0], REPEATED_QUOTE, STORIES[3][1], REPEATED_QUOTE, HOUSE_LINE]
    _ingest(database_url, _write(site, "story-3.txt", fourth))
    ((article_id, body),) = query(
        db, "SELECT id, body FROM articles WHERE source_uri LIKE %s", ("%story-3.txt",)
    )
    assert HOUSE_LINE not in body
    assert body.count(REPEATED_QUOTE) == 2
    assert query(
        db, "SELECT rule, removed FROM article_removals WHERE article_id = %s", (article_id,)
    ) == [("site_boilerplate", HOUSE_LINE)]


def test_other_sites_do_not_inherit_a_sites_boilerplate(
    database_url: str, db: store.Connection, tmp_path: Path
) -> None:
    for number, story in enumerate(STORIES[:3]):
        _ingest(database_url, _write(tmp_path / "courier", f"s{number}.txt", [*story, HOUSE_LINE]))
    _ingest(database_url, _write(tmp_path / "gazette", "s3.txt", [*STORIES[3], HOUSE_LINE]))
    ((body,),) = query(db, "SELECT body FROM articles WHERE source_uri LIKE %s", ("%gazette%",))
    assert HOUSE_LINE in body


def test_duplicates_do_not_teach_their_text_as_boilerplate(
    database_url: str, db: store.Connection, tmp_path: Path
) -> None:
    site = tmp_path / "wire"
    for number in range(3):  # one story, three copies: one canonical, two duplicates
        _ingest(database_url, _write(site, f"copy-{number}.txt", STORIES[0]))
    counts = query(db, "SELECT max(articles) FROM site_lines WHERE site LIKE %s", ("%wire",))
    assert counts == [(1,)]


def test_in_memory_index_counts_each_article_once() -> None:
    index = SiteBoilerplate(min_articles=2)
    index.learn("example.org", line_keys([REPEATED_QUOTE, REPEATED_QUOTE]))
    assert index.known("example.org") == frozenset()
    index.learn("example.org", line_keys([REPEATED_QUOTE.upper()]))
    assert index.known("example.org") == {line_key(REPEATED_QUOTE)}
    assert index.known("other.org") == frozenset()


def test_known_lines_are_removed_and_recorded() -> None:
    paragraphs = [*STORIES[0], HOUSE_LINE]
    key = line_key(HOUSE_LINE)
    assert key is not None
    result = clean_paragraphs(paragraphs, site_boilerplate={key})
    assert result.paragraphs == STORIES[0]
    assert [(r.rule, r.text) for r in result.removals] == [("site_boilerplate", HOUSE_LINE)]
    assert HOUSE_LINE in result.site_lines  # still counted, so the count keeps growing


@pytest.mark.parametrize("fourth_carries_the_line", [True, False])
def test_a_line_learned_while_the_next_batch_was_cleaned_is_applied_to_it(
    database_url: str,
    db: store.Connection,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    fourth_carries_the_line: bool,
) -> None:
    """A pipelined ingest cleans batch k+1 before batch k commits. Here batch 3 teaches the site
    its house line while batch 4 is already cleaned: batch 4's article is cleaned again if it
    carries the line, and only then."""
    site = tmp_path / "valley-courier"
    files = [_write(site, f"story-{n}.txt", [*STORIES[n], HOUSE_LINE]) for n in range(3)]
    fourth = [*STORIES[3], HOUSE_LINE] if fourth_carries_the_line else STORIES[3]
    files.append(_write(site, "story-3.txt", fourth))
    cleaned: list[str] = []
    prepare_article = text_work.prepare_article

    def counting(extracted: Extracted, *args: Any) -> Any:
        cleaned.append(extracted.raw.source_uri)
        return prepare_article(extracted, *args)

    monkeypatch.setattr(text_work, "prepare_article", counting)
    settings = replace(Settings.from_env(), batch_size=1)
    counts = batch.ingest_files(db, store.start_run(db, "test"), files, settings, workers=1)

    assert counts.loaded == 4
    ((body,),) = query(db, "SELECT body FROM articles WHERE source_uri LIKE %s", ("%story-3.txt",))
    assert HOUSE_LINE not in body
    cleaned_again = [uri for uri in cleaned if uri.endswith("story-3.txt")]
    assert len(cleaned_again) == (2 if fourth_carries_the_line else 1)
    assert len(cleaned) == len(files) + (1 if fourth_carries_the_line else 0)
