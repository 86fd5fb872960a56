"""Polite HTTP fetching: what a well-behaved crawler does before the bytes become a RawInput.

robots.txt is obeyed (RFC 9309, pipeline/sources/robots.py: a 4xx robots.txt allows
everything, an unreachable one forbids everything for now), every request says who we are, one
host is asked at most once per `min_interval` (or its Crawl-delay), 429 and 5xx are retried with
backoff, ETag/Last-Modified make re-polls cheap, bodies are capped, content types checked and
redirects followed up to a limit. The standard library's http.client, so that nothing hides a
redirect or a retry from us.

Server-side request forgery: a feed or a redirect may point at 127.0.0.1, 10.x, 169.254.169.254
(cloud metadata) or an internal name. Every hop's host is resolved and refused unless all its
addresses are public, and the connection goes to exactly the addresses checked (no second DNS
lookup a rebinding attacker could answer differently). A source that really is local opts in
with `allow_private_addresses` (FetchSettings; sources.toml).

Errors are FetchError with a reason code and whether trying again later could help; the caller
turns them into rejections or retry state. No database here: validators come in and go out.
"""

from __future__ import annotations

import http.client
import ipaddress
import re
import socket
import ssl
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from email.message import Message
from typing import Any
from urllib.parse import SplitResult, urljoin, urlsplit, urlunsplit

from courlan import normalize_url

from pipeline.config import FetchSettings
from pipeline.models import InputError
from pipeline.sources.files import decompress_gzip
from pipeline.sources.robots import RobotsRules
from pipeline.text.characters import valid_text

REDIRECTS = frozenset({301, 302, 303, 307, 308})
_READ_CHUNK = 1 << 16


class FetchError(Exception):
    """A URL that could not be fetched. `retryable`: a later run may succeed (timeouts, 5xx)."""

    def __init__(self, reason: str, detail: str, *, retryable: bool) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail
        self.retryable = retryable


@dataclass(frozen=True)
class Validators:
    """What a server said about a resource's version, to ask "changed since?" next time."""

    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True)
class Response:
    url: str  # the canonical URL that was asked for
    final_url: str  # the canonical URL after redirects: the article's identity
    status: int  # 200, or 304 when the validators still match
    body: bytes = b""
    content_type: str | None = None  # media type only, lowercased
    validators: Validators = field(default_factory=Validators)

    @property
    def not_modified(self) -> bool:
        return self.status == 304


def canonical_url(url: str) -> str:
    """One spelling per page: scheme/host lowercased, default port, tracking parameters and
    fragment dropped, query sorted (courlan), so two links to one article are one input."""
    parts = urlsplit(url.strip())
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise FetchError("bad_url", f"not an http(s) URL: {url!r}", retryable=False)
    try:
        _check_url(url.strip(), parts)
        normalized = normalize_url(parts)
        clean = urlsplit(normalized)
        _check_url(normalized, clean)
    except ValueError as exc:
        raise FetchError("bad_url", f"{url!r}: {exc}", retryable=False) from exc
    return urlunsplit((clean.scheme, clean.netloc, clean.path or "/", clean.query, ""))


def _check_url(url: str, parts: SplitResult) -> None:
    """Raise ValueError for what every later use of a URL would trip on: a port that is not a
    number (urlsplit's .port raises only when asked, deep in a fetch), a host no DNS name or
    address can be, or characters a URL and the database refuse."""
    if valid_text(url) != url or any(c.isspace() or c in '<>"\\^`{|}' for c in url):
        raise ValueError("characters a URL cannot hold")
    parts.port  # noqa: B018 - raises ValueError for a port that is not a number in range
    host = parts.hostname or ""
    if host.startswith("[") or ":" in host:
        ipaddress.IPv6Address(host.strip("[]").split("%", 1)[0])
    elif not _HOST.fullmatch(host.encode("idna").decode("ascii")):
        raise ValueError(f"not a host name: {host!r}")


# Labels of letters, digits and hyphens (IDNA-encoded), dot-separated; an IPv4 address fits too.
_HOST = re.compile(
    r"(?=.{1,253}$)(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?\.)*"
    r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?\.?",
    re.I,
)


def media_type(header: str | None) -> str | None:
    if not header:
        return None
    return header.split(";", 1)[0].strip().lower() or None


def is_page_type(content_type: str | None) -> bool:
    """Article pages: HTML or plain text. A missing type is allowed: extraction sniffs."""
    return content_type in (None, "text/html", "application/xhtml+xml", "text/plain")


def is_xml_type(content_type: str | None) -> bool:
    """Feeds and sitemaps: any XML flavour; many servers label feeds text/plain or text/html."""
    if content_type is None:
        return True
    return content_type.endswith(("/xml", "+xml")) or content_type in (
        "text/plain",
        "text/html",
        "application/octet-stream",
        "application/x-gzip",
        "application/gzip",
    )


def is_public_address(address: str) -> bool:
    """Whether an IP address is reachable on the public internet (not private, loopback,
    link-local, shared, reserved, unspecified or multicast)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone (fe80::1%eth0)
    embedded = _embedded_ipv4(ip) if isinstance(ip, ipaddress.IPv6Address) else None
    if embedded is not None:
        ip = embedded
    return ip.is_global and not ip.is_multicast


_NAT64 = (ipaddress.IPv6Network("64:ff9b::/96"), ipaddress.IPv6Network("64:ff9b:1::/48"))
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one reaches: the mapped (::ffff:a.b.c.d), IPv4-compatible
    (::a.b.c.d), NAT64 (64:ff9b::a.b.c.d), 6to4 (2002:aabb:ccdd::) and Teredo forms all lead
    to an IPv4 host, which must be public for the address to be."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    if any(ip in network for network in _NAT64) or (
        ip in _IPV4_COMPATIBLE and int(ip) > 1  # :: and ::1 are themselves not global
    ):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def resolve(url: str, allow_private: bool) -> list[str]:
    """The addresses to connect to for a URL; FetchError `private_address` when any of them is
    not public and the source did not opt in (one private answer is enough to refuse: which one
    the OS would pick is not ours to bet on)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise FetchError("dns_error", f"{host}: {exc}", retryable=True) from exc
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not allow_private:
        blocked = [a for a in addresses if not is_public_address(a)]
        if blocked or not addresses:
            raise FetchError(
                "private_address",
                f"{host} resolves to {', '.join(blocked) or 'nothing'}: not a public address "
                "(to fetch it: `newsdedup ingest --allow-private-addresses`, or "
                "allow_private_addresses = true on its source in sources.toml)",
                retryable=False,
            )
    return addresses


def _pinned(addresses: Sequence[str]) -> Callable[..., socket.socket]:
    """A replacement for socket.create_connection that connects to the checked addresses only."""

    def create_connection(
        address: tuple[str, int], timeout: Any = None, source_address: Any = None
    ) -> socket.socket:
        error: OSError | None = None
        for ip in addresses:
            try:
                return socket.create_connection((ip, address[1]), timeout, source_address)
            except OSError as exc:
                error = exc
        raise error or OSError(f"no address to connect to for {address[0]}")

    return create_connection


@dataclass
class _Robots:
    rules: RobotsRules | None  # None: robots.txt unreachable
    detail: str = ""


class Fetcher:
    """One polite client. Keeps robots.txt and per-host pacing for its lifetime (one task)."""

    def __init__(
        self,
        settings: FetchSettings,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.settings = settings
        self._clock = clock
        self._sleep = sleep
        self._robots: dict[str, _Robots] = {}
        self._last_request: dict[str, float] = {}
        self._interval: dict[str, float] = {}
        self.requests = 0  # sent, robots.txt included: lets tests and logs see the cost

    # --- public ------------------------------------------------------------------------------

    def get(
        self,
        url: str,
        *,
        validators: Validators | None = None,
        accept: Callable[[str | None], bool] = is_page_type,
    ) -> Response:
        """GET with robots, pacing, retries and redirects; raises FetchError."""
        start = canonical_url(url)
        current = start
        seen = {current}
        for _hop in range(self.settings.max_redirects + 1):
            # Before robots.txt: a refused host must say so, not look like an unreachable robots.
            resolve(current, self.settings.allow_private_addresses)
            self._check_robots(current)
            status, headers, body = self._request(current, validators)
            if status in REDIRECTS:
                location = headers.get("Location")
                if not location:
                    raise FetchError("bad_redirect", f"{status} without Location", retryable=False)
                target = canonical_url(urljoin(current, location))
                if target in seen:
                    raise FetchError("redirect_loop", f"{current} -> {target}", retryable=False)
                seen.add(target)
                current = target
                continue
            found = Validators(headers.get("ETag"), headers.get("Last-Modified"))
            if status == 304:
                return Response(start, current, 304, validators=validators or found)
            if status != 200:
                raise FetchError(f"http_{status}", f"{current} answered {status}", retryable=False)
            content_type = media_type(headers.get("Content-Type"))
            if not accept(content_type):
                raise FetchError(
                    "unsupported_content_type", f"{current} is {content_type}", retryable=False
                )
            return Response(start, current, 200, body, content_type, found)
        raise FetchError(
            "too_many_redirects",
            f"more than {self.settings.max_redirects} redirects from {start}",
            retryable=False,
        )

    # --- robots.txt --------------------------------------------------------------------------

    def _check_robots(self, url: str) -> None:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        robots = self._robots.get(origin)
        if robots is None:
            robots = self._robots[origin] = self._load_robots(origin)
        if robots.rules is None:
            raise FetchError("robots_unavailable", robots.detail, retryable=True)
        if not robots.rules.allows(url):
            raise FetchError(
                "robots_disallowed", f"{origin}/robots.txt forbids {url}", retryable=False
            )

    def _load_robots(self, origin: str) -> _Robots:
        url = f"{origin}/robots.txt"
        agent = self.settings.user_agent
        try:
            for _hop in range(self.settings.max_redirects + 1):
                status, headers, body = self._request(url, None)
                if status in REDIRECTS and headers.get("Location"):
                    url = urljoin(url, headers["Location"])
                    continue
                break
        except FetchError as exc:
            return _Robots(None, f"robots.txt of {origin}: {exc}")
        if status == 200:
            rules = RobotsRules(body.decode("utf-8", errors="replace"), agent)
        elif 400 <= status < 500:
            rules = RobotsRules.allow_all(agent)  # RFC 9309 2.3.1.3: no robots.txt, no rules
        else:
            return _Robots(None, f"robots.txt of {origin} answered {status}")
        if rules.crawl_delay is not None:
            host = urlsplit(origin).netloc
            self._interval[host] = min(rules.crawl_delay, self.settings.max_backoff)
        return _Robots(rules)

    # --- one URL, with pacing and retries ---------------------------------------------------

    def _request(self, url: str, validators: Validators | None) -> tuple[int, Message, bytes]:
        settings = self.settings
        for attempt in range(settings.max_retries + 1):
            status, headers, body = self._request_once(url, validators)
            if status != 429 and not 500 <= status < 600:
                return status, headers, body
            if attempt == settings.max_retries:
                raise FetchError(
                    f"http_{status}",
                    f"{url} answered {status} {attempt + 1} times",
                    retryable=True,
                )
            wait = settings.backoff * 2**attempt
            retry_after = headers.get("Retry-After", "")
            if retry_after.strip().isdigit():
                wait = float(retry_after)
            self._sleep(min(wait, settings.max_backoff))
        raise AssertionError("unreachable")

    def _pace(self, host: str) -> None:
        interval = max(self.settings.min_interval, self._interval.get(host, 0.0))
        last = self._last_request.get(host)
        if last is not None:
            wait = last + interval - self._clock()
            if wait > 0:
                self._sleep(wait)
        self._last_request[host] = self._clock()

    def _request_once(self, url: str, validators: Validators | None) -> tuple[int, Message, bytes]:
        parts = urlsplit(url)
        self._pace(parts.netloc)
        self.requests += 1
        timeout = self.settings.timeout
        addresses = resolve(url, self.settings.allow_private_addresses)
        conn: http.client.HTTPConnection
        if parts.scheme == "https":
            conn = http.client.HTTPSConnection(
                parts.netloc, timeout=timeout, context=ssl.create_default_context()
            )
        else:
            conn = http.client.HTTPConnection(parts.netloc, timeout=timeout)
        # The Host header, SNI and certificate check still use the name; only the socket goes
        # to the addresses resolve() checked.
        conn._create_connection = _pinned(addresses)  # type: ignore[attr-defined]
        headers = {
            "User-Agent": self.settings.user_agent,
            "Accept-Encoding": "gzip",
            "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
        }
        if validators is not None and validators.etag:
            headers["If-None-Match"] = validators.etag
        if validators is not None and validators.last_modified:
            headers["If-Modified-Since"] = validators.last_modified
        path = urlunsplit(("", "", parts.path or "/", parts.query, ""))
        deadline = self._clock() + timeout
        try:
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            body = b""
            if response.status == 200:
                body = self._read_body(url, response, deadline)
            return response.status, response.msg, body
        except TimeoutError as exc:
            raise FetchError(
                "timeout", f"{url}: no answer within {timeout}s", retryable=True
            ) from exc
        except (OSError, http.client.HTTPException) as exc:
            raise FetchError("connection_error", f"{url}: {exc!r}", retryable=True) from exc
        finally:
            conn.close()

    def _read_body(self, url: str, response: http.client.HTTPResponse, deadline: float) -> bytes:
        limit = self.settings.max_body_bytes
        declared = response.getheader("Content-Length", "")
        if declared.isdigit() and int(declared) > limit:
            raise FetchError(
                "too_large", f"{url}: {declared} bytes, limit {limit}", retryable=False
            )
        body = bytearray()
        while chunk := response.read(_READ_CHUNK):
            body += chunk
            if len(body) > limit:
                raise FetchError("too_large", f"{url}: more than {limit} bytes", retryable=False)
            # The socket timeout bounds each read; this bounds a server that trickles bytes.
            if self._clock() > deadline:
                raise FetchError(
                    "timeout",
                    f"{url}: body not read within {self.settings.timeout}s",
                    retryable=True,
                )
        if (response.getheader("Content-Encoding") or "").lower() in ("gzip", "x-gzip"):
            try:
                return decompress_gzip(bytes(body), limit)
            except InputError as exc:
                raise FetchError(exc.reason, f"{url}: {exc.detail}", retryable=False) from exc
        return bytes(body)
