"""Security: parameterised SQL, the read-only analyst role, no secrets in the repo, and the
fetcher's refusal of private addresses (SSRF). Real PostgreSQL, real local HTTP server."""

from __future__ import annotations

import ast
import re
import subprocess
import uuid
from pathlib import Path

import psycopg2
import psycopg2.errors
import pytest

from pipeline.cli import main
from pipeline.config import FetchSettings, Settings
from pipeline.ingest import crawl
from pipeline.sources.config import SourceConfigError, parse_sources
from pipeline.sources.fetch import Fetcher, FetchError, canonical_url, is_public_address, resolve
from pipeline.store import Connection
from tests.conftest import REPO, SAMPLES, create_database, drop_database, query
from tests.support.http_server import LocalSite, Reply, article_text

INJECTIONS = [
    "'); DROP TABLE articles; --",
    "Robert'); DROP TABLE rejected_inputs;--",
    "1; DELETE FROM articles WHERE '1'='1",
    '" OR ""="',
    "%s %(x)s {0} $1 \\x00 E'\\'",
]


# --- SQL: every statement parameterised --------------------------------------------------------


def _html(title: str, seed: int) -> str:
    paragraphs = "".join(f"<p>{p} {INJECTIONS[seed % len(INJECTIONS)]}</p>" for p in
                         article_text(seed))  # fmt: skip
    escaped = title.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;")
    return (
        f'<html><head><title>{escaped}</title><meta property="og:site_name" content="{escaped}">'
        f"</head><body><article><h1>{escaped}</h1>{paragraphs}</article></body></html>"
    )


def test_hostile_titles_urls_and_bodies_are_stored_verbatim(
    database_url: str, db: Connection, tmp_path: Path
) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for i, hostile in enumerate(INJECTIONS):
        name = hostile.replace("/", "_").replace("\\", "_").replace("\x00", "_")
        (inbox / f"{i} {name}.html").write_text(_html(hostile, 500 + i), encoding="utf-8")
        (inbox / f"{i} {name} empty.txt").write_bytes(b"")  # a rejection carrying the name
    assert main(["ingest", "--database-url", database_url, str(inbox)]) == 0

    tables = {t for (t,) in query(db, "SELECT tablename FROM pg_tables WHERE schemaname='public'")}
    assert {"articles", "rejected_inputs", "ingest_runs"} <= tables
    titles = sorted(t for (t,) in query(db, "SELECT title FROM articles"))
    assert titles == sorted(INJECTIONS)
    outlets = {o for (o,) in query(db, "SELECT outlet FROM articles")}
    assert outlets == set(INJECTIONS)
    for i, hostile in enumerate(INJECTIONS):
        rows = query(db, "SELECT body FROM articles WHERE title = %s", (hostile,))
        assert len(rows) == 1 and INJECTIONS[(500 + i) % len(INJECTIONS)] in rows[0][0]
    rejected = query(db, "SELECT source_uri, reason FROM rejected_inputs")
    assert len(rejected) == len(INJECTIONS) and {r for _, r in rejected} == {"empty"}
    assert query(db, "SELECT count(*), sum(loaded), sum(rejected) FROM ingest_runs") == [
        (1, len(INJECTIONS), len(INJECTIONS))
    ]


def test_a_hostile_url_is_stored_verbatim(
    database_url: str, db: Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSDEDUP_FETCH_MIN_INTERVAL", "0")
    with LocalSite() as site:
        hostile = INJECTIONS[0]
        # The query string is kept by canonical_url (sorted), so it reaches the database as-is.
        url = canonical_url(site.url("/a?q=%27%29%3B%20DROP%20TABLE%20articles%3B%20--"))
        route = url.removeprefix(site.base)
        site.routes[route] = Reply(200, _html(hostile, 600).encode(), {"Content-Type": "text/html"})
        argv = ["ingest", "--database-url", database_url, "--allow-private-addresses", url]
        assert main(argv) == 0
    ((source_uri, title),) = query(db, "SELECT source_uri, title FROM articles")
    assert title == hostile and source_uri == url and "DROP+TABLE" in url


_SQL_WORDS = re.compile(r"\b(SELECT|INSERT|UPDATE|DELETE|CREATE|DROP|ALTER|GRANT)\b")
_EXECUTES = {"execute", "executemany", "execute_values", "_rows"}


def _sql_built_from_values(node: ast.expr) -> bool:
    """An f-string, %-formatting or str.format producing SQL text: values spliced into SQL."""
    if isinstance(node, ast.JoinedStr):
        return any(
            isinstance(v, ast.Constant) and _SQL_WORDS.search(str(v.value)) for v in node.values
        )
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
        return isinstance(node.left, ast.Constant) and bool(_SQL_WORDS.search(str(node.left.value)))
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        target = node.func.value
        if node.func.attr == "format" and isinstance(target, ast.Constant):
            return bool(_SQL_WORDS.search(str(target.value)))
    return False


def _statement_is_static(node: ast.expr) -> bool:
    """Literal text, a named constant, their concatenation, or psycopg2.sql composition."""
    if isinstance(node, ast.Constant | ast.Name):
        return True
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _statement_is_static(node.left) and _statement_is_static(node.right)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        inner = node.func.value
        return (  # sql.SQL("... {}").format(sql.Identifier(name)): quoted by psycopg2
            node.func.attr == "format"
            and isinstance(inner, ast.Call)
            and isinstance(inner.func, ast.Attribute)
            and inner.func.attr == "SQL"
        )
    return False


def test_every_sql_statement_in_the_code_is_parameterised() -> None:
    files = sorted((REPO / "pipeline").rglob("*.py")) + sorted((REPO / "dags").glob("*.py"))
    problems, statements = [], 0
    for path in files:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.expr) and _sql_built_from_values(node):
                problems.append(f"{path.name}:{node.lineno}: SQL text built from values")
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute | ast.Name)
                and (node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id)
                in _EXECUTES
                and node.args
            ):
                statements += 1
                if not _statement_is_static(node.args[1 if _is_execute_values(node) else 0]):
                    problems.append(f"{path.name}:{node.lineno}: statement is not static text")
    assert statements > 40, "the scan should see the pipeline's statements"
    assert problems == []


def _is_execute_values(node: ast.Call) -> bool:
    return isinstance(node.func, ast.Attribute) and node.func.attr == "execute_values"


def test_the_scan_catches_spliced_sql() -> None:
    bad = [
        "cur.execute(f\"SELECT * FROM articles WHERE title = '{title}'\")",
        'cur.execute("DELETE FROM articles WHERE id = %s" % article_id)',
        'cur.execute("SELECT {} FROM articles".format(column))',
    ]
    for source in bad:
        call = ast.parse(source).body[0].value  # type: ignore[attr-defined]
        assert _sql_built_from_values(call.args[0]) and not _statement_is_static(call.args[0])


# --- the analyst role ---------------------------------------------------------------------


OPERATIONAL = (
    "articles", "ingest_runs", "rejected_inputs", "article_matches", "article_removals",
    "article_fingerprints", "article_search", "candidate_index_origin", "site_lines",
    "source_items",
    "http_validators", "schema_migrations",
)  # fmt: skip


def test_the_analyst_role_reads_the_views_and_nothing_else(
    database_url: str, db: Connection, analyst: Connection
) -> None:
    assert main(["ingest", "--database-url", database_url, str(SAMPLES)]) == 0
    assert query(
        db, "SELECT rolcanlogin, rolsuper FROM pg_roles WHERE rolname = 'newsdedup_analyst'"
    ) == [(False, False)]
    assert query(analyst, "SELECT count(*) FROM canonical_articles") == [(4,)]
    assert query(analyst, "SELECT count(*) FROM article_duplicates") == [(1,)]
    assert query(analyst, "SELECT count(*) FROM story_clusters") == [(5,)]
    assert query(analyst, "SELECT count(*) FROM site_boilerplate")[0][0] >= 0
    for table in OPERATIONAL:
        with pytest.raises(psycopg2.errors.InsufficientPrivilege, match="permission denied"):
            query(analyst, f"SELECT 1 FROM {table} LIMIT 1")
    writes = [  # all_articles reads one table: it would take writes, but for the rights
        "DELETE FROM all_articles",
        "UPDATE all_articles SET title = 'mine'",
        "CREATE TABLE mine (x int)",
        "SELECT newsdedup_grant_analyst_access()",
    ]
    for statement in writes:
        with pytest.raises(psycopg2.errors.InsufficientPrivilege):
            query(analyst, statement)
    assert query(db, "SELECT count(*) FROM articles") == [(5,)]


def _migrate_and_check_analyst_grant(url: str, view: str) -> None:
    """Migrating the database at url applies the role migration and grants the view."""
    from pipeline import store
    from pipeline.store import database

    conn = database.connect(url)
    try:
        assert "007_analyst_role" in store.apply_migrations(conn)
        grant = "SELECT has_table_privilege('newsdedup_analyst', %s, 'SELECT')"
        assert query(conn, grant, (view,)) == [(True,)]
    finally:
        conn.close()


def test_the_role_migration_runs_in_every_database_of_a_server(
    pg_server: str, db: Connection
) -> None:
    """The role is server-wide; a second database migrates against the existing role."""

    url = create_database(pg_server)
    try:
        _migrate_and_check_analyst_grant(url, "canonical_articles")
    finally:
        drop_database(pg_server, url)


# --- no secrets in the repository -------------------------------------------------------


_SECRET_PATTERNS = [
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    re.compile(r"\bAKIA[0-9A-Z]{16}\b"),  # AWS access key id
    re.compile(r"\bgh[pousr]_[A-Za-z0-9]{30,}\b"),  # GitHub token
    re.compile(r"\bxox[baprs]-[A-Za-z0-9-]{10,}\b"),  # Slack token
    # a URL with an inline password that is not a placeholder or a variable
    re.compile(r"://[^/\s:@'\"${}]+:(?!change-me)[^@\s/'\"${}]{6,}@"),
    # password = "literal" (not a placeholder, variable or empty)
    re.compile(
        r"(?i)\b(password|passwd|secret|api_key|token)\b(?:\s*=|:)\s*[\"'](?!change-me|\$|\{)"
        r"[^\"'\s]{8,}[\"']"
    ),
]


def test_no_secret_is_committed() -> None:
    tracked = (
        subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True)
        .stdout.decode()
        .split("\0")
    )
    hits = []
    for name in filter(None, tracked):
        path = REPO / name
        if not path.is_file() or path.stat().st_size > 2_000_000 or name.endswith(".lock"):
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        for pattern in _SECRET_PATTERNS:
            hits += [f"{name}: {m.group(0)[:40]}" for m in pattern.finditer(text)]
    assert len(tracked) > 50
    assert hits == []
    # The only env files committed are templates with placeholders.
    assert [n for n in tracked if Path(n).name.startswith(".env")] == [".env.example"]


def test_the_secret_scan_catches_secrets() -> None:
    # Assembled at run time, so that this file does not trip the scan it tests.
    samples = [
        "postgresql://newsdedup:" + "s3cr3tPassw0rd@db:5432/newsdedup",
        "password = " + '"hunter2hunter2"',
        "AKIA" + "IOSFODNN7EXAMPLE",
        "-----BEGIN OPENSSH " + "PRIVATE KEY-----",
    ]
    for sample in samples:
        assert any(p.search(sample) for p in _SECRET_PATTERNS), sample
    placeholders = ["postgresql://${NEWS_DB_USER}:${NEWS_DB_PASSWORD}@postgres:5432/x",
                    "NEWS_DB_PASSWORD=change-me-news-db"]  # fmt: skip
    assert not any(p.search(s) for p in _SECRET_PATTERNS for s in placeholders)


# --- the fetcher and private addresses ----------------------------------------------------


FAST = FetchSettings(timeout=0.5, min_interval=0.0, max_retries=0, backoff=0.01, max_redirects=3)
PAGE = Reply(200, b"<html><body><p>hello</p></body></html>", {"Content-Type": "text/html"})


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("127.0.0.1", False), ("127.8.9.10", False), ("10.1.2.3", False), ("172.16.0.1", False),
        ("192.168.1.1", False), ("169.254.169.254", False), ("100.64.0.1", False),
        ("0.0.0.0", False), ("224.0.0.1", False), ("::1", False), ("fe80::1%eth0", False),
        ("fc00::1", False), ("::ffff:127.0.0.1", False), ("::ffff:10.0.0.1", False),
        ("::127.0.0.1", False), ("64:ff9b::7f00:1", False), ("64:ff9b:1::a00:1", False),
        ("2002:7f00:1::", False), ("2002:a00:1::1", False),
        ("2001:0:4136:e378:8000:63bf:80ff:fffe", False),  # Teredo, client 127.0.0.1
        ("8.8.8.8", True), ("93.184.215.14", True), ("2606:4700:4700::1111", True),
        ("64:ff9b::808:808", True), ("2002:808:808::1", True),  # NAT64 and 6to4 of 8.8.8.8
    ],
)  # fmt: skip
def test_public_addresses(address: str, public: bool) -> None:
    assert is_public_address(address) is public


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "2130706433", "[::1]", "0x7f000001"])
def test_names_and_spellings_of_loopback_are_refused(host: str) -> None:
    with pytest.raises(FetchError) as err:
        resolve(f"http://{host}:9/", allow_private=False)
    assert err.value.reason in {"private_address", "dns_error"}
    if host in ("localhost", "127.0.0.1", "[::1]"):
        assert err.value.reason == "private_address" and not err.value.retryable


def test_a_private_address_is_refused_before_any_request(site: LocalSite) -> None:
    site.routes["/a"] = PAGE
    with pytest.raises(FetchError) as err:
        Fetcher(FAST).get(site.url("/a"))
    assert err.value.reason == "private_address" and not err.value.retryable
    assert site.requests == [], "not even robots.txt may be asked for"
    allowed = FetchSettings(**{**FAST.__dict__, "allow_private_addresses": True})
    assert Fetcher(allowed).get(site.url("/a")).body == PAGE.body


def test_a_redirect_to_a_private_address_is_refused(
    site: LocalSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The test server stands in for a public host (127.0.0.1 counts as public here); it
    redirects to 127.0.0.2, which is private: the hop is refused before connecting."""
    import pipeline.sources.fetch

    monkeypatch.setattr(pipeline.sources.fetch, "is_public_address", lambda a: a == "127.0.0.1")
    port = site.url("/").split(":")[2].split("/")[0]
    site.routes["/go"] = Reply(302, b"", {"Location": f"http://127.0.0.2:{port}/secret"})
    with pytest.raises(FetchError) as err:
        Fetcher(FAST).get(site.url("/go"))
    assert err.value.reason == "private_address"
    assert "127.0.0.2" in err.value.detail
    assert [r.path for r in site.requests] == ["/robots.txt", "/go"]


def test_sources_opt_in_explicitly(tmp_path: Path) -> None:
    text = (
        '[[sources]]\nname = "intranet"\nkind = "feed"\nurl = "http://10.0.0.5/feed.xml"\n'
        "allow_private_addresses = true\n"
        '[[sources]]\nname = "public"\nkind = "feed"\nurl = "https://example.com/feed.xml"\n'
    )
    intranet, public = parse_sources(text, tmp_path)
    assert intranet.allow_private_addresses and not public.allow_private_addresses
    settings = Settings()
    assert crawl.fetcher_for(intranet, settings).settings.allow_private_addresses
    assert not crawl.fetcher_for(public, settings).settings.allow_private_addresses
    with pytest.raises(SourceConfigError, match="allow_private_addresses"):
        parse_sources(text.replace("= true", '= "yes"'), tmp_path)


def test_a_feed_source_on_loopback_without_the_opt_in_fetches_nothing(
    site: LocalSite, db: Connection
) -> None:
    from pipeline import store
    from pipeline.sources.config import Source

    site.routes["/feed.xml"] = PAGE
    source = Source(name="local", kind="feed", location=site.url("/feed.xml"))
    settings = Settings(fetch=FAST)
    run_id = store.start_run(db, "test")
    keys = crawl.discover(db, source, settings)
    crawl.process(db, run_id, source, keys, settings)
    assert keys == [] and site.requests == []
    assert query(db, "SELECT reason FROM source_items WHERE kind = 'listing'") == [
        ("private_address",)
    ]


def test_an_owner_that_may_not_create_roles_still_migrates(pg_server: str, db: Connection) -> None:
    """As in the compose deployment: the news database belongs to a plain LOGIN role. The
    analyst role exists already (created by an admin, or here by the `db` fixture's migration);
    the owner grants on its own views."""

    owner, name = f"owner_{uuid.uuid4().hex[:8]}", f"t_{uuid.uuid4().hex[:12]}"
    admin = psycopg2.connect(pg_server)
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f'CREATE ROLE "{owner}" LOGIN')
        cur.execute(f'CREATE DATABASE "{name}" OWNER "{owner}"')
    url = re.sub(r"//[^@/]*@", f"//{owner}@", pg_server.replace("/postgres?", f"/{name}?"))
    try:
        _migrate_and_check_analyst_grant(url, "story_clusters")
    finally:
        with admin.cursor() as cur:
            cur.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            cur.execute(f'DROP ROLE "{owner}"')
        admin.close()
