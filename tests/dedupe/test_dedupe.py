"""Verification signals and placement on the seeds and on small hand-made cases (no database)."""

from __future__ import annotations

import itertools
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from pipeline.clean.article import build_article
from pipeline.config import DedupeSettings, FingerprintSettings, Settings
from pipeline.dedupe.fingerprint import fingerprint, rare_terms, weight
from pipeline.dedupe.verify import (
    DUPLICATE,
    SAME_STORY,
    Candidate,
    Doc,
    classify,
    compare,
    place,
    prepare,
)
from pipeline.evaluation.synthetic import make_copy
from pipeline.extract.core import extract
from pipeline.sources.files import read_file
from pipeline.text.sentences import is_boilerplate
from tests.conftest import SAMPLES

SETTINGS = DedupeSettings()


@pytest.fixture(scope="module")
def seeds() -> dict[str, Doc]:
    docs = {}
    for path in sorted(SAMPLES.glob("*.txt")):
        article = build_article(extract(read_file(path, 10_000_000)))
        docs[path.name[:3]] = prepare(article.body)
    return docs


def _level(a: Doc, b: Doc, settings: DedupeSettings = SETTINGS) -> str | None:
    return classify(compare(a, b).scores, settings).level


def test_seed_pairs(seeds: dict[str, Doc]) -> None:
    expected = {("000", "001"): SAME_STORY, ("002", "003"): DUPLICATE}
    for a, b in itertools.combinations(sorted(seeds), 2):
        assert _level(seeds[a], seeds[b]) == expected.get((a, b)), (a, b)


def test_rewrite_is_caught_by_sentence_alignment_not_by_shared_word_runs(
    seeds: dict[str, Doc],
) -> None:
    scores = compare(seeds["002"], seeds["003"]).scores
    assert scores["copy_containment"] < SETTINGS.copy_containment
    assert scores["alignment"] >= SETTINGS.rewrite_alignment
    independent = compare(seeds["000"], seeds["001"]).scores
    assert independent["alignment"] < SETTINGS.rewrite_alignment


def test_shared_passages_come_from_both_texts(seeds: dict[str, Doc]) -> None:
    comparison = compare(seeds["003"], seeds["002"])
    assert comparison.shared_passages
    # (passage of the first text, passage of the second); a passage may be two adjacent
    # sentences joined, since rewrites merge and split sentences.
    first, second = " ".join(seeds["003"].sentences), " ".join(seeds["002"].sentences)
    for mine, theirs in comparison.shared_passages:
        assert mine in first and theirs in second


def test_rarity_weights() -> None:
    assert weight("the") == 0.0
    assert weight("said") < 1.5 < weight("russia") < 3.0 < weight("konashenkov")
    assert weight("xqzvtrwkl") == 7.0
    assert rare_terms("The Hmeimim base, said 2016 officials", 3.0) == {("hmeimim",)}
    rare = rare_terms("Apple and Imagination", FingerprintSettings().rare_weight)
    assert ("imagination",) in rare


def test_a_wire_copy_with_heavy_edits_is_a_duplicate(seeds: dict[str, Doc]) -> None:
    (path,) = SAMPLES.glob("004_*.txt")
    text = path.read_text(encoding="utf-8")
    rng = random.Random(3)
    for _ in range(5):
        copy, edits = make_copy(text, rng)
        assert _level(prepare(text), prepare(copy)) == DUPLICATE, edits


PAYWALL = (
    "TAKE A FREE TRIAL Registered users can read up to 3 reports. Enter your details below.\n"
    "If you would like to request a full trial of our services, please fill in the form.\n"
    "The password for your account must be at least 8 characters long and contain a number.\n"
    "Email address First Name Last Name Organisation Job Title Telephone City Alabama Alaska "
    "Arizona Arkansas California Colorado Connecticut Delaware Florida Georgia Uzbekistan\n"
)


def test_two_stories_behind_one_paywall_are_not_duplicates() -> None:
    first = prepare("Further slowdown in 2020 with coronavirus a new threat\n" + PAYWALL)
    second = prepare("Oil to outperform\n" + PAYWALL)
    assert all(is_boilerplate(s) for s in PAYWALL.splitlines()[::3])
    decision = classify(compare(first, second).scores, SETTINGS)
    assert decision.level is None
    assert "too little content" in decision.reason


def test_contact_details_are_boilerplate_and_figures_are_not() -> None:
    """Two press releases of one agency share its contact block, not their story."""
    for contact in (
        "Contact Anna: anna.k@marketwire-reports.com US: (415)-555-0101",
        "For media enquiries call +1 212-555-0147 or write to press@example.org.",
    ):
        assert is_boilerplate(contact), contact
    for figure in (
        "The market grew 20.3% to $128.7 billion between 2019-2020, the report said.",
        "Police said 1,234,567 people attended and 300 450 cars were towed.",
        "Write to the council by 5 May, @cityhall said on its account.",
    ):
        assert not is_boilerplate(figure), figure
    # a run of address characters with no "@" is not an address (and is read once)
    assert not is_boilerplate("x" * 200_000)


def test_dates_far_apart_split_stories_but_not_copies(seeds: dict[str, Doc]) -> None:
    body = {k: build_article(extract(read_file(p, 10**7))).body for k, p in _seed_paths().items()}
    day = datetime(2016, 8, 22, tzinfo=UTC)
    later = day + timedelta(days=40)
    assert _level(prepare(body["000"], day), prepare(body["001"], later)) is None
    assert _level(prepare(body["000"], day), prepare(body["001"], day)) == SAME_STORY
    # A copy is a copy whatever its date. 003 rewrites 002 but leads with words 002 never uses:
    # a news cycle or more later that is how a follow-up reads, and 40 days is too far for a
    # story. Undated, either lead may be the one the other keeps (002's is in 003).
    copy, _ = make_copy("Title\n" + body["002"], random.Random(7))
    assert _level(prepare(body["002"], day), prepare(copy.partition("\n")[2], later)) == DUPLICATE
    assert _level(prepare(body["002"], day), prepare(body["003"], later)) is None
    assert _level(prepare(body["002"]), prepare(body["003"])) == DUPLICATE  # undated


def _seed_paths() -> dict[str, Path]:
    return {p.name[:3]: p for p in SAMPLES.glob("*.txt")}


def test_thresholds_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSDEDUP_STORY_MAX_DAYS", "3.5")
    monkeypatch.setenv("NEWSDEDUP_MAX_CANDIDATES", "7")
    monkeypatch.setenv("NEWSDEDUP_TERMS_BANDS", "64")
    settings = Settings.from_env()
    assert settings.dedupe.story_max_days == 3.5
    assert settings.dedupe.max_candidates == 7 and isinstance(settings.dedupe.max_candidates, int)
    assert settings.fingerprint.terms_bands == 64


def test_identical_texts_share_every_bucket_and_an_empty_text_none() -> None:
    settings = FingerprintSettings()
    (path,) = SAMPLES.glob("001_*.txt")
    text = path.read_text(encoding="utf-8")
    first, second = fingerprint(text, settings), fingerprint(text, settings)
    assert [f.band_keys for f in first] == [f.band_keys for f in second]
    assert [len(f.band_keys) for f in first] == [settings.words_bands, settings.terms_bands]
    assert fingerprint("the and of", settings)[1].band_keys == ()


def test_placement_joins_the_canonical_and_names_the_linked_stories(
    seeds: dict[str, Doc],
) -> None:
    # 002 is stored as a duplicate of 10 (canonical) in story 10; 000 leads story 20.
    candidates = [
        Candidate(11, seeds["002"], canonical_id=10, story_id=10),
        Candidate(20, seeds["000"], canonical_id=20, story_id=20),
        Candidate(30, seeds["004"], canonical_id=30, story_id=30),
    ]
    placement = place(seeds["003"], candidates, SETTINGS)
    assert placement.canonical_id == 10
    assert placement.duplicate_story == 10
    assert placement.links[0].candidate_id == 11
    both = place(seeds["001"], candidates, SETTINGS)
    assert both.canonical_id is None and both.linked_stories == {20}


def test_a_press_release_wire_tag_is_not_evidence_of_one_story(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two unrelated releases sent through one distribution service share its dateline tag."""
    dateline = "NEW YORK, Jan. 1, 2020 /PRNewswire/ -- "
    first = (
        "Acme Robotics names new chief executive\n"
        f"{dateline}Acme Robotics said Maria Chen will become its chief executive in March.\n"
        "Chen ran the company's warehouse automation unit."
    )
    second = (
        "Harbor Bank opens branch in Queens\n"
        f"{dateline}Harbor Bank opened its twelfth branch in Queens on Monday.\n"
        "The branch offers mortgage advice in six languages."
    )
    assert weight("prnewswire") == 0.0
    scores = compare(prepare(first), prepare(second)).scores
    assert scores["aligned_sentences"] == 0
    unweighed = classify(scores, SETTINGS)
    assert unweighed.level is None

    # Weighed as the rare word wordfreq takes it for, the tag aligns the datelines and counts
    # as shared evidence of one story.
    monkeypatch.setattr("pipeline.dedupe.fingerprint.DISTRIBUTION_TAGS", frozenset())
    weight.cache_clear()
    try:
        assert weight("prnewswire") > 4
        scores = compare(prepare(first), prepare(second)).scores
        assert scores["aligned_sentences"] == 1
        assert classify(scores, SETTINGS).story_probability > unweighed.story_probability + 0.1
    finally:
        monkeypatch.undo()
        weight.cache_clear()


BACKGROUND = [
    "The airline suspended the flight attendant last week after passengers filmed her "
    "refusing to serve water to a family with two small children on a delayed flight.",
    "The video, shared more than two million times, shows the attendant telling the parents "
    "that the cabin rules of Harbour Air did not allow drinks before take-off.",
    "Harbour Air, which flies from Kestrel Bay to six cities, has faced complaints about its "
    "cabin crew training since a strike by attendants in the spring.",
    "The union representing the attendants said at the time that staff were working longer "
    "shifts with less rest between flights than the law allows.",
]


def _story(lead: list[str], background: list[str]) -> str:
    return "\n\n".join(lead + background)


def test_a_follow_up_is_the_same_story_and_a_rewrite_a_duplicate() -> None:
    first_lead = [
        "Harbour Air has suspended a flight attendant who refused to serve water to a family "
        "on a delayed flight from Kestrel Bay, the airline said on Monday.",
        "A spokeswoman for Harbour Air said the attendant would not work while the airline "
        "reviewed the video and spoke to the crew of the Kestrel Bay flight.",
    ]
    # The next day: news of its own first, then the background retold in other words.
    new_lead = [
        "Harbour Air fired the flight attendant on Tuesday, two days after the airline "
        "promised passengers a full inquiry into the incident in Kestrel Bay.",
        "The union said it would appeal the dismissal and accused the airline's managers of "
        "sacrificing one attendant to end a week of bad headlines.",
    ]
    retold = [p.replace("last week", "on Monday").replace("shared", "watched") for p in BACKGROUND]
    monday = datetime(2024, 3, 4, 9, tzinfo=UTC)
    base = prepare(_story(first_lead, BACKGROUND), monday, "Harbour Air suspends attendant")
    follow_up = prepare(
        _story(new_lead, retold[:3]), monday + timedelta(days=1), "Harbour Air fires attendant"
    )
    scores = compare(follow_up, base).scores
    assert scores["alignment"] >= SETTINGS.rewrite_alignment  # the background alone is a rewrite
    assert scores["lead_novelty"] > SETTINGS.duplicate_max_lead_novelty
    decision = classify(scores, SETTINGS)
    assert decision.level == SAME_STORY and decision.reason.startswith("follow-up")
    # The same report rewritten the same day keeps its lead: a duplicate.
    rewrite = prepare(
        _story([first_lead[0].replace("said on Monday", "announced")], retold),
        monday + timedelta(hours=3),
        "Airline suspends attendant over water refusal",
    )
    assert classify(compare(rewrite, base).scores, SETTINGS).level == DUPLICATE


def test_repetitive_text_is_aligned_once_per_distinct_sentence() -> None:
    """Ingest compares stored bodies of up to 200,000 characters under the dedupe lock. The
    alignment compared every copy of a repeated sentence with every copy: 200,000 characters
    of 400 sentence variants took 25 s (about 0.5 s now; BENCHMARKS.md, issue 40)."""
    from pipeline.dedupe.compared import article_doc
    from pipeline.timelimit import ItemTimeout, time_limit

    rng = random.Random(40)
    names = ["Ames", "Brock", "Cole", "Dunn", "Eyre", "Fisk", "Gale", "Hume", "Irby", "Judd"]
    places = [
        "Tartus",
        "Latakia",
        "Homs",
        "Hama",
        "Idlib",
        "Aleppo",
        "Raqqa",
        "Deir",
        "Daraa",
        "Palmyra",
    ]
    body = " ".join(
        f"Minister {rng.choice(names)} said the {rng.choice(places)} base would stay open."
        for _ in range(4_000)
    )[:200_000]
    a, b = article_doc("Base stays open", body, None), article_doc("Bases stay", body, None)
    try:
        with time_limit(10.0):  # 20 times what it takes now, less than half of what it took
            scores = compare(a, b).scores
    except ItemTimeout:
        pytest.fail("comparing two 200,000-character repetitive texts took over 10 s")
    assert scores["alignment"] == 1.0 and scores["aligned_sentences"] >= 100


SIGN_UP_WALL = (
    "Just One More Thing...\n"
    "We have sent you a verification email. Please check your email and click on the link to "
    "activate your profile.\n"
    "If you do not receive the verification message within a few minutes of signing up, "
    "please check your Spam or Junk folder.\n"
)


def test_one_sign_up_wall_under_two_headlines_is_not_one_article() -> None:
    """gva_dev: pages whose extracted body is a network's sign-up wall, under headlines on two
    shootings, were copies of each other (52 of its 95 duplicates across events)."""
    from pipeline.dedupe.compared import article_doc

    first = article_doc(
        "Daughter: Suspect in Georgia shooting deaths was ticking", SIGN_UP_WALL, None
    )
    second = article_doc("Atlanta News: 4 shot in northwest", SIGN_UP_WALL, None)
    scores = compare(first, second).scores
    assert scores["copy_containment"] >= SETTINGS.copy_containment  # the copy rule would fire
    assert SETTINGS.min_content_weight <= scores["content_weight"] < 100
    decision = classify(scores, SETTINGS)
    assert decision.level != DUPLICATE
    assert "not one text: the headlines share no word" in decision.reason
    # The same short text under headlines that name one event is still one text.
    again = article_doc("Suspect in 5 Georgia shooting deaths: daughter speaks", SIGN_UP_WALL, None)
    assert classify(compare(first, again).scores, SETTINGS).level == DUPLICATE
