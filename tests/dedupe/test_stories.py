"""Stories as a stream: a newcomer joins the one story it matches as a whole, never two, and a
story stops attracting newcomers dated far outside its time extent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pipeline.config import DedupeSettings
from pipeline.dedupe.stories import MAX_WORD_CHARS, StoryState, StreamStories, choose, story_words
from pipeline.dedupe.verify import prepare

SETTINGS = DedupeSettings()
DAY = datetime(2024, 3, 1, tzinfo=UTC)

ELM = [
    "Gunman opens fire at Elm Street bakery in Millbrook. Police said Darnell Okafor, 34, "
    "was wounded at the Hartwell Bakery on Elm Street and taken to Millbrook General.",
    "Millbrook police identify Hartwell Bakery shooting victim as Darnell Okafor. Officers "
    "searched Elm Street for the gunman who fired into the bakery on Tuesday.",
    "Hartwell Bakery reopens on Elm Street a day after Darnell Okafor was shot. Millbrook "
    "detectives still seek the gunman seen running from the bakery.",
]
RIVER = [
    "Two men wounded in shooting at Riverside skate park in Millbrook. Police said Tomasz "
    "Wieczorek and Ilya Brandt were hit near the Quarry Road entrance.",
    "Riverside skate park shooting: Tomasz Wieczorek released from hospital, Ilya Brandt "
    "stable. Quarry Road closed while Millbrook detectives searched the park.",
]


def _stream(texts: list[str], when: datetime | None = DAY) -> tuple[StreamStories, list[int]]:
    stories = StreamStories(SETTINGS)
    placed: list[int] = []
    for i, text in enumerate(texts, start=1):
        candidates = list(stories.stories)  # every story: what LSH would find, and more
        choice = stories.assign(i, story_words(prepare(text)), when, candidates, linked=())
        placed.append(i if choice.story_id is None else choice.story_id)
    return stories, placed


def test_reports_of_one_event_join_one_story() -> None:
    _, placed = _stream(ELM)
    assert placed == [1, 1, 1]


def test_look_alike_events_in_one_town_stay_apart() -> None:
    _, placed = _stream([*ELM, *RIVER])
    assert placed[:3] == [1, 1, 1]
    assert placed[3] == 4 and placed[4] == 4


def test_one_link_does_not_join_a_story_the_article_does_not_match() -> None:
    """A verified pair link lowers the bar (story_join_linked), it never replaces the match
    against the story as a whole: single-link chaining is what grew topics into stories."""
    stories, _ = _stream(ELM)
    river = story_words(prepare(RIVER[0]))
    choice = stories.assign(9, river, DAY, [1], linked={1})
    assert choice.story_id is None
    assert choice.runner_up == 1 and 0 <= choice.runner_up_score < SETTINGS.story_join_linked


def test_a_link_lowers_the_bar_to_the_linked_threshold() -> None:
    state = StoryState(1, {"bakery": 1.0, "okafor": 1.0})
    vector = {"bakery": 0.2, "elm": 0.98}  # cosine 0.14 with the centroid
    between = DedupeSettings(story_join_linked=0.1, story_join=0.3)
    assert choose(vector, [state], (), DAY, between).story_id is None
    assert choose(vector, [state], {1}, DAY, between).story_id == 1


def test_a_story_idle_longer_than_the_window_is_closed() -> None:
    stories, _ = _stream(ELM[:2])
    late = DAY + timedelta(days=SETTINGS.story_idle_days + 1)
    assert stories.assign(3, story_words(prepare(ELM[2])), late, [1], ()).story_id is None
    # undated: matched whatever the dates; and an article just inside the window joins
    assert stories.assign(4, story_words(prepare(ELM[2])), None, [1], ()).story_id == 1
    inside = DAY + timedelta(days=SETTINGS.story_idle_days - 1)
    assert stories.assign(5, story_words(prepare(ELM[2])), inside, [1], ()).story_id == 1
    assert stories.stories[1].first_at == DAY and stories.stories[1].last_at == inside


def test_a_duplicate_joins_its_canonicals_story_and_every_article_is_counted() -> None:
    stories, _ = _stream(ELM[:1])
    choice = stories.assign(2, story_words(prepare(ELM[0])), DAY, [1], {1}, duplicate_of=(1, 1))
    assert choice.story_id == 1 and "duplicate of article 1" in choice.reason
    assert stories.stories[1].articles == 2
    assert stories.added_articles == 2 and stories.counts.articles == 2
    assert stories.touched == {1}


def test_a_centroid_keeps_its_heaviest_words_only() -> None:
    state = StoryState(1, {})
    state.add({f"w{i}": 1.0 / (i + 1) for i in range(50)}, None, max_words=10)
    assert sorted(state.centroid) == sorted(f"w{i}" for i in range(10))


def test_over_long_tokens_are_not_story_words() -> None:
    """A URL or a base64 run is no word of a story (and a counted word must fit the index)."""
    long = "x" * (MAX_WORD_CHARS + 1)
    text = f"Flooding closes the Quarry Road bridge in Brzwelton {long}."
    words = story_words(prepare(text))
    assert "brzwelton" in words.weights and long not in words.weights
    # a word no word list knows (a name) is rare by definition: the stream does not count it
    assert "brzwelton" not in words.counted and "bridge" in words.counted
