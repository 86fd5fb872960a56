"""A real HTTP server on 127.0.0.1 for tests: routes the test can change between runs.

Every request is recorded (path, headers, arrival time) so tests can assert what a crawler
actually sent: conditional headers, its User-Agent, its pace.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from pipeline.config import FetchSettings


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to wait before answering (a slow server)


@dataclass(frozen=True)
class Seen:
    path: str
    headers: dict[str, str]
    at: float
    method: str = "GET"
    body: bytes = b""  # what a POST sent (an alert, say)


Route = Reply | list[Reply] | Callable[[Seen], Reply]


def static(body: bytes, content_type: str, etag: str | None = None) -> Callable[[Seen], Reply]:
    """A resource with validators that answers 304 to a matching conditional request."""
    last_modified = formatdate(1_700_000_000, usegmt=True)
    tag = etag or f'"{abs(hash(body))}"'

    def answer(request: Seen) -> Reply:
        headers = {"ETag": tag, "Last-Modified": last_modified}
        if request.headers.get("if-none-match") == tag:
            return Reply(304, b"", headers)
        return Reply(200, body, {**headers, "Content-Type": content_type})

    return answer


class LocalSite:
    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[Seen] = []
        self._lock = threading.Lock()
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                seen = Seen(
                    self.path, {k.lower(): v for k, v in self.headers.items()}, time.monotonic(),
                    self.command, self.rfile.read(length) if length else b"",
                )  # fmt: skip
                with site._lock:
                    site.requests.append(seen)
                reply = site._reply(seen)
                if reply.delay:
                    time.sleep(reply.delay)
                try:
                    self.send_response(reply.status)
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(reply.body)))
                    self.end_headers()
                    self.wfile.write(reply.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test): nothing to answer

            do_POST = do_GET

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def _reply(self, seen: Seen) -> Reply:
        with self._lock:
            route = self.routes.get(seen.path)
            if route is None:
                return Reply(404, b"not found", {"Content-Type": "text/plain"})
            if isinstance(route, list):
                return route.pop(0) if len(route) > 1 else route[0]
        return route(seen) if callable(route) else route

    def url(self, path: str) -> str:
        return self.base + path

    def hits(self, path: str) -> list[Seen]:
        with self._lock:
            return [r for r in self.requests if r.path == path]

    def __enter__(self) -> LocalSite:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


# Fetching from the test server: no waits, short timeouts, retries that back off briefly, and
# private addresses allowed (the server is on 127.0.0.1).
LOCAL_FETCH = FetchSettings(
    user_agent="newsdedup-test/1",
    timeout=0.5,
    min_interval=0.0,
    max_retries=2,
    backoff=0.01,
    allow_private_addresses=True,
)
HTML = {"Content-Type": "text/html; charset=utf-8"}


def serve() -> Iterator[LocalSite]:
    with LocalSite() as site:
        yield site


_WORDS = [
    "council",
    "budget",
    "river",
    "harbour",
    "election",
    "minister",
    "court",
    "ruling",
    "storm",
    "vaccine",
    "school",
    "teachers",
    "union",
    "strike",
    "market",
    "shares",
    "bank",
    "inflation",
    "rates",
    "housing",
    "rent",
    "farmers",
    "drought",
    "police",
    "inquiry",
    "museum",
    "festival",
    "airport",
    "runway",
    "railway",
    "bridge",
    "hospital",
    "nurses",
    "research",
    "climate",
    "energy",
    "wind",
    "solar",
    "grid",
    "mayor",
    "protest",
    "report",
    "figures",
    "week",
    "month",
    "year",
    "city",
    "region",
    "village",
    "coast",
    "mountain",
    "report",
    "analysts",
    "investors",
    "workers",
    "students",
    "families",
    "residents",
    "officials",
]


def article_text(seed: int, paragraphs: int = 5) -> list[str]:
    """Distinct, deterministic article paragraphs: different seeds never dedupe together.

    Half the words are made-up names drawn for this seed alone, as real stories have their own
    names and places; text drawn only from the shared word list would read as one story.
    """
    rng = random.Random(seed)
    names = ["".join(rng.choice("bdfgklmnprstvz") + rng.choice("aeiou") for _ in range(3))
             for _ in range(40)]  # fmt: skip
    out = []
    for _ in range(paragraphs):
        words = [
            rng.choice(_WORDS if rng.random() < 0.5 else names) for _ in range(rng.randint(28, 40))
        ]
        out.append(" ".join(words).capitalize() + ".")
    return out


def article_html(seed: int, title: str | None = None) -> bytes:
    title = title or f"Story number {seed}"
    body = "".join(f"<p>{p}</p>" for p in article_text(seed))
    return (
        f"<!doctype html><html><head><title>{title}</title></head><body>"
        f"<nav><a href='/'>Home</a></nav><article><h1>{title}</h1>{body}</article>"
        f"<footer>Copyright the local test outlet</footer></body></html>"
    ).encode()


def rss(base: str, entries: list[tuple[str, str]]) -> bytes:
    """An RSS 2.0 feed; entries are (guid, link) pairs, links relative or absolute."""
    items = "".join(
        f'<item><title>{guid}</title><guid isPermaLink="false">{guid}</guid><link>{link}</link>'
        f"<pubDate>Mon, 06 Sep 2021 16:45:00 GMT</pubDate></item>"
        for guid, link in entries
    )
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>Local news</title>'
        f"<link>{base}/</link><description>test</description>{items}</channel></rss>"
    ).encode()
