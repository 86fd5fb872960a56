"""Settings shared by the CLI, the DAGs and the tests.

Every knob has a default that works on a laptop and an environment variable that overrides it,
so a deployment configures the pipeline the same way whether Airflow or a shell runs it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SAMPLE_CORPUS = PROJECT_ROOT / "data" / "samples"
SQL_DIR = PROJECT_ROOT / "sql"


DATABASE_URL_ENV = "NEWSDEDUP_DATABASE_URL"
SOURCES_ENV = "NEWSDEDUP_SOURCES"
INGEST_WORKERS_ENV = "NEWSDEDUP_INGEST_WORKERS"


class ConfigError(ValueError):
    """A setting whose value cannot be used; the message names the variable and the value."""


def env_str(name: str) -> str | None:
    """The variable's value, or None when it is unset or empty."""
    return os.environ.get(name) or None


def whole_number(value: str, what: str, minimum: int = 0) -> int:
    """`value` read as a whole number of `minimum` or more; the error names `what`."""
    try:
        number = int(value)
    except ValueError:
        raise ConfigError(f"{what} must be a whole number, not {value!r}") from None
    if number < minimum:
        raise ConfigError(f"{what} must be {minimum} or more, not {value!r}")
    return number


def env_int(name: str, default: int, minimum: int = 0) -> int:
    """A whole-number setting; every one is a count, a size or a seed, so `minimum` is at
    least 0 (1 for what must not be empty)."""
    value = os.environ.get(name)
    if not value:
        return default
    return whole_number(value, name, minimum)


def env_float(name: str, default: float, minimum: float = 0.0) -> float:
    """A number setting (a threshold or seconds): `minimum` or more, never NaN."""
    value = os.environ.get(name)
    if not value:
        return default
    try:
        number = float(value)
    except ValueError:
        raise ConfigError(f"{name} must be a number, not {value!r}") from None
    if not number >= minimum:  # also NaN
        raise ConfigError(f"{name} must be {minimum:g} or more, not {value!r}")
    return number


def data_dir() -> Path:
    """Where the embedded database and Airflow's local state live (NEWSDEDUP_DATA_DIR)."""
    return Path(env_str("NEWSDEDUP_DATA_DIR") or PROJECT_ROOT / ".data").resolve()


def database_url() -> str | None:
    """The libpq URL of the news database when one is configured (NEWSDEDUP_DATABASE_URL)."""
    return env_str(DATABASE_URL_ENV)


def sources_file() -> Path:
    """The sources file (NEWSDEDUP_SOURCES, default the project's sources.toml)."""
    return Path(env_str(SOURCES_ENV) or PROJECT_ROOT / "sources.toml")


def ingest_workers(default: int | None = None) -> int:
    """Processes for the text work of ingest: NEWSDEDUP_INGEST_WORKERS, else `default`, else
    the cores this process may run on (`newsdedup ingest`); 1 does it in place."""
    return max(1, env_int(INGEST_WORKERS_ENV, default or available_cores()))


def available_cores() -> int:
    """The cores this process may use (a container's or taskset's limit, not the machine's)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def inbox() -> str:
    """The folder the DAG ingests from besides its sources (NEWSDEDUP_INBOX, default samples)."""
    return env_str("NEWSDEDUP_INBOX") or str(SAMPLE_CORPUS)


def file_settle_seconds() -> float:
    """Seconds a file must go unmodified before it is read: a younger one may still be being
    written, and waits for the next run (NEWSDEDUP_FILE_SETTLE_SECONDS, default 2)."""
    return env_float("NEWSDEDUP_FILE_SETTLE_SECONDS", 2.0)


def deadline_minutes() -> float:
    """Minutes after a DAG run is queued before the Deadline alert (NEWSDEDUP_DEADLINE_MINUTES)."""
    return env_float("NEWSDEDUP_DEADLINE_MINUTES", 60.0)


def lock_timeout_seconds() -> float:
    """Seconds a schema migration waits for a lock another session holds (another process
    migrating, an analyst's open transaction on a table it alters) before it fails naming the
    holder (NEWSDEDUP_LOCK_TIMEOUT_SECONDS, default 10)."""
    return env_float("NEWSDEDUP_LOCK_TIMEOUT_SECONDS", 10.0)


def analyst_statement_timeout_seconds() -> float:
    """The statement_timeout of every analyst login in the news database, so one query cannot
    hold a backend for minutes (NEWSDEDUP_ANALYST_STATEMENT_TIMEOUT_SECONDS, default 30; 0 for
    none)."""
    return env_float("NEWSDEDUP_ANALYST_STATEMENT_TIMEOUT_SECONDS", 30.0)


PLUGIN_STATEMENT_TIMEOUT_ENV = "NEWSDEDUP_PLUGIN_STATEMENT_TIMEOUT_SECONDS"


def plugin_statement_timeout_seconds() -> float:
    """The statement_timeout of the ops plugin's connections (the api-server's /news pages and
    API), so one page's query cannot hold a backend and a server thread for minutes
    (NEWSDEDUP_PLUGIN_STATEMENT_TIMEOUT_SECONDS, default 30; 0 for none)."""
    return env_float(PLUGIN_STATEMENT_TIMEOUT_ENV, 30.0)


def _fields_from_env(defaults: Any, prefix: str) -> dict[str, Any]:
    """Each field of a settings dataclass from PREFIX<FIELD NAME>, else its default; a whole
    number field takes the whole part of what is given; none may be negative (env_float)."""
    values: dict[str, Any] = {}
    for name in defaults.__dataclass_fields__:
        default = getattr(defaults, name)
        value = env_float(f"{prefix}{name.upper()}", default)
        values[name] = int(value) if isinstance(default, int) else value
    return values


@dataclass(frozen=True)
class FingerprintSettings:
    """MinHash and LSH parameters. Each is part of the scheme key stored with the buckets, so
    changing one makes new articles blind to those stored before (see README, Deduplication)."""

    num_perm: int = 128  # words scheme: word n-gram shingles
    shingle_size: int = 3
    seed: int = 1
    words_bands: int = 42  # 42 x 3: P(candidate) 0.5 at Jaccard ~0.29, 0.998 at 0.5
    words_rows: int = 3
    terms_num_perm: int = 256  # terms scheme: rare words
    terms_bands: int = 256  # 256 x 1: ranked by shared bands, i.e. by estimated Jaccard
    terms_rows: int = 1
    rare_weight: float = (
        2.5  # a word is rare when its weight 7 - zipf is at least this (zipf <= 4.5)
    )

    @classmethod
    def from_env(cls) -> FingerprintSettings:
        return cls(
            num_perm=env_int("NEWSDEDUP_NUM_PERM", cls.num_perm, minimum=1),
            shingle_size=env_int("NEWSDEDUP_SHINGLE_SIZE", cls.shingle_size, minimum=1),
            words_bands=env_int("NEWSDEDUP_WORDS_BANDS", cls.words_bands, minimum=1),
            words_rows=env_int("NEWSDEDUP_WORDS_ROWS", cls.words_rows, minimum=1),
            terms_num_perm=env_int("NEWSDEDUP_TERMS_NUM_PERM", cls.terms_num_perm, minimum=1),
            terms_bands=env_int("NEWSDEDUP_TERMS_BANDS", cls.terms_bands, minimum=1),
            terms_rows=env_int("NEWSDEDUP_TERMS_ROWS", cls.terms_rows, minimum=1),
            rare_weight=env_float("NEWSDEDUP_RARE_WEIGHT", cls.rare_weight),
        )


@dataclass(frozen=True)
class DedupeSettings:
    """Thresholds of the two dedupe levels; pipeline/dedupe/verify.py says what each score means."""

    max_candidates: int = 50  # LSH candidates verified per new article, most shared bands first
    # ... among those sharing at least this many band buckets (both schemes counted): unrelated
    # articles share one or two rare-word bands by chance (a common "rare" word is the minimum
    # of a permutation), and verifying each costs more than finding it.
    min_shared_bands: int = 3
    # Only a bucket's newest members are read, at most this many: a bucket holding more is a
    # rare word that is common in this corpus (a name in the news for months). Reading all of
    # it would make every lookup grow with the corpus; the newest are the ones news dedupe needs
    # (a story's articles are days apart, see story_max_days).
    bucket_newest: int = 100
    # duplicate, copy: this share of the smaller text's word 3-grams occurs in the other
    copy_containment: float = 0.5
    # duplicate, rewrite: this share of the lighter text's content has a counterpart sentence ...
    rewrite_alignment: float = 0.4
    rewrite_vocabulary: float = 0.4  # ... and this share of its weighted vocabulary is shared
    rewrite_min_sentences: int = 3  # ... in at least this many sentences
    rewrite_max_length_ratio: float = 3.0  # ... and the longer text is at most this much longer
    # either, only when at most this share of the later text's lead is words the earlier never
    # uses (verify.lead_novelty): a follow-up shares the background, not the news it leads with
    # (it is then the same story)
    duplicate_max_lead_novelty: float = 0.45
    # same story otherwise by the model of pipeline/dedupe/story_model.py (its threshold is
    # part of the fitted model), never for dated articles further apart than this
    story_max_days: float = 14.0
    # a text with less rare-word content than this is too generic (paywall, cookie page) to
    # be called a duplicate of anything but its exact copy
    min_content_weight: float = 40.0
    # ... and under headlines apart (titles_apart), this much to be one text: a sign-up wall
    # or a network's chrome that pages kept as their body, under headlines on two events, is
    # furniture they share, not one article (BENCHMARKS.md, issue 34: fitted on gva_dev)
    min_content_weight_titles_apart: float = 100.0
    # the titles' rarity-weighted Jaccard (verify.title_similarity) below which they share
    # no word worth the name
    titles_apart: float = 0.2
    # Stories (pipeline/dedupe/stories.py): a new article joins the story whose centroid it
    # matches best, at this cosine or above when it has a verified link into that story ...
    story_join_linked: float = 0.15
    # ... and at this cosine or above without one; else it starts a story of its own
    story_join: float = 0.35
    # a story is closed to newcomers dated this many days outside its time extent (its first
    # and last dated articles); an undated article is matched whatever the dates
    story_idle_days: float = 30.0
    # a story's centroid keeps its heaviest words only, this many (bounds its stored row)
    story_centroid_words: int = 2000

    @classmethod
    def from_env(cls) -> DedupeSettings:
        """Each threshold from NEWSDEDUP_<NAME> (e.g. NEWSDEDUP_COPY_CONTAINMENT)."""
        return cls(**_fields_from_env(cls(), "NEWSDEDUP_"))


@dataclass(frozen=True)
class FetchSettings:
    """How politely and how patiently pages, feeds and sitemaps are fetched
    (pipeline/sources/fetch.py)."""

    user_agent: str = (
        "newsdedup/0.1 (news ingest and deduplication; +https://github.com/newsdedup/newsdedup)"
    )
    timeout: float = 20.0  # seconds per connect and per read, and the cap on one whole response
    min_interval: float = 1.0  # seconds between two requests to one host (robots Crawl-delay wins)
    max_retries: int = 3  # extra attempts after a 429 or 5xx
    backoff: float = 2.0  # first retry wait in seconds, doubled each time (Retry-After wins)
    max_backoff: float = 60.0  # cap on one wait, including a server's Retry-After
    max_redirects: int = 5
    max_body_bytes: int = 5 * 1024 * 1024
    max_attempts: int = 5  # runs that may fail on one item before it is given up
    # Fetch hosts that resolve to private, loopback or link-local addresses: only for a source
    # that says so (sources.toml `allow_private_addresses`), never by default (SSRF).
    allow_private_addresses: bool = False


def _check(
    default: float, description: str, minimum: float = 0, maximum: float | None = None
) -> Any:
    """A data-quality threshold: its default, and what the DAG's trigger form says of it."""
    limits = {"minimum": minimum, "maximum": maximum}
    return field(default=default, metadata={"description": description, "limits": limits})


@dataclass(frozen=True)
class QualitySettings:
    """Defaults of the DAG's data-quality checks (pipeline/ops/monitoring.py), each overridable
    as NEWSDEDUP_DQ_<NAME> and per run in the trigger form (param dq_<name>)."""

    min_body_chars: int = _check(
        1, "check_bodies: every loaded article has at least this many characters", minimum=1
    )
    duplicate_rate_min: float = _check(
        0.0, "check_duplicate_rate: lowest expected share of duplicates in a run", maximum=1
    )
    duplicate_rate_max: float = _check(
        0.8, "check_duplicate_rate: highest expected share of duplicates in a run", maximum=1
    )
    min_articles: int = _check(
        20,
        "check_duplicate_rate: only check runs that loaded at least this many articles (the "
        "rate of a handful says little)",
        minimum=1,
    )
    max_rejected: int = _check(50, "check_rejects: most rejected inputs a run may have")
    max_reject_rate: float = _check(
        0.5, "check_rejects: highest share of rejected inputs a run may have", maximum=1
    )

    @classmethod
    def from_env(cls) -> QualitySettings:
        return cls(**_fields_from_env(cls(), "NEWSDEDUP_DQ_"))


@dataclass(frozen=True)
class Settings:
    max_input_bytes: int = 20 * 1024 * 1024
    batch_size: int = 200
    # Seconds of text work (extract, then clean + fingerprint) one input may take before it is
    # rejected as `timeout` (pipeline/timelimit.py); 0 turns the limit off.
    item_timeout: float = 30.0
    # Articles of one site a line must recur in before it is that site's boilerplate.
    site_boilerplate_min_articles: int = 3
    fingerprint: FingerprintSettings = field(default_factory=FingerprintSettings)
    dedupe: DedupeSettings = field(default_factory=DedupeSettings)
    fetch: FetchSettings = field(default_factory=FetchSettings)

    @classmethod
    def from_env(cls) -> Settings:
        return cls(
            max_input_bytes=env_int("NEWSDEDUP_MAX_INPUT_BYTES", cls.max_input_bytes, minimum=1),
            batch_size=env_int("NEWSDEDUP_BATCH_SIZE", cls.batch_size, minimum=1),
            item_timeout=env_float("NEWSDEDUP_ITEM_TIMEOUT", cls.item_timeout),
            site_boilerplate_min_articles=env_int(
                "NEWSDEDUP_SITE_BOILERPLATE_MIN_ARTICLES",
                cls.site_boilerplate_min_articles,
                minimum=1,
            ),
            fingerprint=FingerprintSettings.from_env(),
            dedupe=DedupeSettings.from_env(),
            fetch=FetchSettings(
                user_agent=env_str("NEWSDEDUP_USER_AGENT") or FetchSettings.user_agent,
                timeout=env_float("NEWSDEDUP_FETCH_TIMEOUT", FetchSettings.timeout),
                min_interval=env_float("NEWSDEDUP_FETCH_MIN_INTERVAL", FetchSettings.min_interval),
                max_retries=env_int("NEWSDEDUP_FETCH_MAX_RETRIES", FetchSettings.max_retries),
                max_body_bytes=env_int(
                    "NEWSDEDUP_FETCH_MAX_BODY_BYTES", FetchSettings.max_body_bytes, minimum=1
                ),
                max_attempts=env_int(
                    "NEWSDEDUP_FETCH_MAX_ATTEMPTS", FetchSettings.max_attempts, minimum=1
                ),
            ),
        )
