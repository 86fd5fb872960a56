"""Settings shared by the CLI, the DAGs and the tests.

Every knob has a default that works on a laptop and an environment variable that overrides it,
so a deployment configures the pipeline the same way whether Airflow or a shell runs it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SAMPLE_CORPUS = PROJECT_ROOT / "data" / "samples"
SQL_DIR = PROJECT_ROOT / "sql"


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def _env_float(name: str, default: float) -> float:
    value = os.environ.get(name)
    return float(value) if value else default


def data_dir() -> Path:
    """Where the embedded database and Airflow's local state live (NEWSDEDUP_DATA_DIR)."""
    return Path(os.environ.get("NEWSDEDUP_DATA_DIR", PROJECT_ROOT / ".data")).resolve()


@dataclass(frozen=True)
class FingerprintSettings:
    """MinHash parameters. Changing them invalidates stored signatures (see README)."""

    num_perm: int = 128
    shingle_size: int = 3
    seed: int = 1


@dataclass(frozen=True)
class DedupeSettings:
    """Thresholds of the two dedupe levels; see pipeline/dedupe.py for what each score means."""

    duplicate_threshold: float = 0.5
    same_story_threshold: float = 0.3


@dataclass(frozen=True)
class FetchSettings:
    """How politely and how patiently pages, feeds and sitemaps are fetched (pipeline/fetch.py)."""

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


@dataclass(frozen=True)
class Settings:
    max_input_bytes: int = 20 * 1024 * 1024
    batch_size: int = 200
    # Articles of one site a line must recur in before it is that site's boilerplate.
    site_boilerplate_min_articles: int = 3
    fingerprint: FingerprintSettings = field(default_factory=FingerprintSettings)
    dedupe: DedupeSettings = field(default_factory=DedupeSettings)
    fetch: FetchSettings = field(default_factory=FetchSettings)

    @classmethod
    def from_env(cls) -> Settings:
        return cls(
            max_input_bytes=_env_int("NEWSDEDUP_MAX_INPUT_BYTES", cls.max_input_bytes),
            batch_size=_env_int("NEWSDEDUP_BATCH_SIZE", cls.batch_size),
            site_boilerplate_min_articles=_env_int(
                "NEWSDEDUP_SITE_BOILERPLATE_MIN_ARTICLES", cls.site_boilerplate_min_articles
            ),
            fingerprint=FingerprintSettings(
                num_perm=_env_int("NEWSDEDUP_NUM_PERM", FingerprintSettings.num_perm),
                shingle_size=_env_int("NEWSDEDUP_SHINGLE_SIZE", FingerprintSettings.shingle_size),
            ),
            dedupe=DedupeSettings(
                duplicate_threshold=_env_float(
                    "NEWSDEDUP_DUPLICATE_THRESHOLD", DedupeSettings.duplicate_threshold
                ),
                same_story_threshold=_env_float(
                    "NEWSDEDUP_SAME_STORY_THRESHOLD", DedupeSettings.same_story_threshold
                ),
            ),
            fetch=FetchSettings(
                user_agent=os.environ.get("NEWSDEDUP_USER_AGENT", FetchSettings.user_agent),
                timeout=_env_float("NEWSDEDUP_FETCH_TIMEOUT", FetchSettings.timeout),
                min_interval=_env_float("NEWSDEDUP_FETCH_MIN_INTERVAL", FetchSettings.min_interval),
                max_retries=_env_int("NEWSDEDUP_FETCH_MAX_RETRIES", FetchSettings.max_retries),
                max_body_bytes=_env_int(
                    "NEWSDEDUP_FETCH_MAX_BODY_BYTES", FetchSettings.max_body_bytes
                ),
                max_attempts=_env_int("NEWSDEDUP_FETCH_MAX_ATTEMPTS", FetchSettings.max_attempts),
            ),
        )
