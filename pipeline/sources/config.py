"""The configured sources: sources.toml in the repo, or the file $NEWSDEDUP_SOURCES points to.

Each source has a name (its key in the incremental state: renaming one starts it afresh), a kind
(inbox folder, RSS/Atom feed, news sitemap, WARC file or folder), a location (URL or path), an
outlet, a schedule hint and limits. Mistakes raise SourceConfigError naming the source and field.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pipeline.config import sources_file

KINDS = ("inbox", "feed", "sitemap", "warc")
URL_KINDS = ("feed", "sitemap")
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
_FIELDS = {
    "name",
    "kind",
    "url",
    "path",
    "outlet",
    "schedule",
    "enabled",
    "max_items",
    "shard_size",
    "allow_private_addresses",
    "follow_links_out",
    "refetch_hours",
    "refetch_every_minutes",
}


class SourceConfigError(ValueError):
    pass


@dataclass(frozen=True)
class Source:
    name: str
    kind: str
    location: str  # a URL for feeds and sitemaps, an absolute path for inbox and warc
    outlet: str | None = None
    schedule: str = "*/15 * * * *"  # its DAG news_source_<name> polls it on this schedule
    enabled: bool = True
    max_items: int = 200  # items fetched or files read per run, at most
    shard_size: int = 25  # items per mapped task
    # Fetch from hosts on private, loopback or link-local addresses (an intranet feed, a test
    # server on 127.0.0.1). Off by default: a feed must not be able to point us at internal
    # services or cloud metadata endpoints.
    allow_private_addresses: bool = False
    # Read symbolic links in an inbox or archive folder that lead out of it. Off by default: a
    # link to /etc or /proc would load what the worker can read as if it were an article.
    follow_links_out: bool = False
    # Feeds and sitemaps: pages published in the last `refetch_hours` are fetched again (a
    # conditional GET) when not fetched for `refetch_every_minutes`, so that corrections and
    # updates are stored as revisions. 0 hours turns it off.
    refetch_hours: float = 48.0
    refetch_every_minutes: float = 60.0

    @property
    def dag_id(self) -> str:
        """The Airflow DAG that polls this source on its schedule (dags/news_sources.py)."""
        return f"news_source_{self.name}"

    @property
    def fetch_pool(self) -> str | None:
        """The name of the one fetch slot this source's host gets (an Airflow pool in the DAGs):
        every source, DAG and task that fetches from one host queues for it, so that parallel
        shards of a poll and a backfill never hit the host at the same time. Files: None."""
        if self.kind not in URL_KINDS:
            return None
        host = (urlsplit(self.location).hostname or "").lower()
        return f"{FETCH_POOL_PREFIX}{host}"


FETCH_POOL_PREFIX = "news_fetch_"


def fetch_pools(sources: list[Source]) -> dict[str, dict[str, Any]]:
    """The fetch pools of these sources, in the format of `airflow pools import`."""
    pools: dict[str, dict[str, Any]] = {}
    for source in sources:
        pool = source.fetch_pool
        if pool is None:
            continue
        entry = pools.setdefault(pool, {"slots": 1, "include_deferred": False, "sources": []})
        entry["sources"].append(source.name)
    return {
        pool: {
            "slots": entry["slots"],
            "include_deferred": entry["include_deferred"],
            "description": "newsdedup: one fetch at a time from this host (sources: "
            + ", ".join(entry["sources"])
            + ")",
        }
        for pool, entry in sorted(pools.items())
    }


def default_path() -> Path:
    return sources_file()


def _source(raw: dict[str, Any], defaults: dict[str, Any], base: Path) -> Source:
    name = raw.get("name")
    if not isinstance(name, str) or not _NAME.match(name):
        raise SourceConfigError(f"source name {name!r}: use lowercase letters, digits, - and _")
    unknown = set(raw) - _FIELDS
    if unknown:
        raise SourceConfigError(f"source {name}: unknown field(s) {', '.join(sorted(unknown))}")
    kind = raw.get("kind")
    if kind not in KINDS:
        raise SourceConfigError(f"source {name}: kind must be one of {', '.join(KINDS)}")
    merged = {**defaults, **raw}
    if kind in URL_KINDS:
        location = merged.get("url")
        if not isinstance(location, str) or not location.startswith(("http://", "https://")):
            raise SourceConfigError(f"source {name}: a {kind} needs an http(s) `url`")
    else:
        path = merged.get("path")
        if not isinstance(path, str) or not path:
            raise SourceConfigError(f"source {name}: a {kind} needs a `path`")
        location = str((base / os.path.expandvars(path)).expanduser().resolve())
    try:
        source = Source(
            name=name,
            kind=kind,
            location=location,
            outlet=merged.get("outlet") or None,
            schedule=str(merged.get("schedule", Source.schedule)),
            enabled=bool(merged.get("enabled", True)),
            max_items=int(merged.get("max_items", Source.max_items)),
            shard_size=int(merged.get("shard_size", Source.shard_size)),
            allow_private_addresses=merged.get("allow_private_addresses", False),
            follow_links_out=merged.get("follow_links_out", False),
            refetch_hours=float(merged.get("refetch_hours", Source.refetch_hours)),
            refetch_every_minutes=float(
                merged.get("refetch_every_minutes", Source.refetch_every_minutes)
            ),
        )
    except (TypeError, ValueError) as exc:
        raise SourceConfigError(f"source {name}: {exc}") from exc
    for flag in ("allow_private_addresses", "follow_links_out"):
        if not isinstance(getattr(source, flag), bool):
            raise SourceConfigError(f"source {name}: {flag} must be true or false")
    if source.refetch_hours < 0 or source.refetch_every_minutes < 0:
        raise SourceConfigError(f"source {name}: refetch_hours and refetch_every_minutes >= 0")
    if source.max_items < 1 or source.shard_size < 1:
        raise SourceConfigError(f"source {name}: max_items and shard_size must be at least 1")
    return source


def parse_sources(text: str, base: Path) -> list[Source]:
    """Sources from TOML text; relative paths are relative to `base` (the file's folder)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SourceConfigError(f"not valid TOML: {exc}") from exc
    defaults = data.get("defaults", {})
    raw_sources = data.get("sources", [])
    if not isinstance(defaults, dict) or not isinstance(raw_sources, list):
        raise SourceConfigError("expected a [defaults] table and [[sources]] entries")
    sources = [_source(raw, defaults, base) for raw in raw_sources]
    names = [s.name for s in sources]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise SourceConfigError(f"duplicate source names: {', '.join(duplicates)}")
    return sources


def load_sources(path: Path | None = None) -> list[Source]:
    path = path or default_path()
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SourceConfigError(f"cannot read {path}: {exc}") from exc
    try:
        return parse_sources(text, path.parent)
    except SourceConfigError as exc:
        raise SourceConfigError(f"{path}: {exc}") from exc


def select(sources: list[Source], name: str | None) -> list[Source]:
    """The enabled sources, or the one named (even if disabled: an explicit ask wins)."""
    if not name or name == "all":
        return [s for s in sources if s.enabled]
    chosen = [s for s in sources if s.name == name]
    if not chosen:
        known = ", ".join(s.name for s in sources) or "none"
        raise SourceConfigError(f"no source named {name!r} (configured: {known})")
    return chosen
