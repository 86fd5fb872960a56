"""Expected failures of the command line: one line on stderr naming the cause, a non-zero exit,
no traceback."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from pipeline.cli import main
from tests.conftest import SAMPLES
from tests.support.http_server import LocalSite, Reply


def _one_line_error(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err.strip()
    assert "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1, err
    return lines[0]


def test_an_unreachable_database_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["summary", "--database-url", "postgresql://127.0.0.1:1/x"]) == 2
    line = _one_line_error(capsys)
    assert line.startswith("newsdedup: error: cannot connect to the database:")
    assert "Connection refused" in line


def test_a_bad_database_url_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["summary", "--database-url", "not a dsn"]) == 2
    assert _one_line_error(capsys).startswith("newsdedup: error: bad database URL: invalid dsn")


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("NEWSDEDUP_BATCH_SIZE", "abc", "NEWSDEDUP_BATCH_SIZE must be a whole number, not 'abc'"),
        ("NEWSDEDUP_NUM_PERM", "-5", "NEWSDEDUP_NUM_PERM must be 1 or more, not '-5'"),
        ("NEWSDEDUP_COPY_CONTAINMENT", "nan", "NEWSDEDUP_COPY_CONTAINMENT must be 0 or more"),
        ("NEWSDEDUP_FETCH_TIMEOUT", "-1", "NEWSDEDUP_FETCH_TIMEOUT must be 0 or more"),
    ],
)
def test_a_bad_setting_names_its_variable(
    variable: str,
    value: str,
    expected: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv(variable, value)
    assert main(["ingest", str(tmp_path)]) == 2
    assert expected in _one_line_error(capsys)


def test_a_bad_date_says_what_is_expected(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["ingest", "--since", "yesterday", "x.warc.gz"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "argument --since: expected a date such as 2026-12-01" in err
    assert "'yesterday'" in err and "_utc_date" not in err


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out.strip() == "newsdedup 0.1.0"


def test_ingest_that_loads_nothing_names_the_reasons_and_fails(
    database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("a.html", "b.html", "c.html", "d.html"):
        (tmp_path / name).write_text("<html><body><nav>Home</nav></body></html>")
    old = time.time() - 60  # settled: not "being written"
    for path in tmp_path.iterdir():
        os.utime(path, (old, old))
    assert main(["ingest", "--database-url", database_url, str(tmp_path)]) == 1
    captured = capsys.readouterr()
    assert captured.err.strip() == "newsdedup: nothing loaded"
    reasons = [line for line in captured.out.splitlines() if "rejected as" in line]
    assert len(reasons) == 1 and ": 4 (" in reasons[0] and "and 1 more" in reasons[0]
    assert reasons[0].count("file://") == 3


def test_summary_piped_is_not_cut(database_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ingest", "--database-url", database_url, str(SAMPLES)]) == 0
    capsys.readouterr()
    assert main(["summary", "--database-url", database_url]) == 0
    out = capsys.readouterr().out
    title = (
        "Russia withdraws equipment from Syrian bases, but will not abandon them, "
        "in new deal talks with HTS"
    )
    assert title in out and "…" not in out


def test_a_missing_path_is_one_line(
    database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "no-such-folder"
    assert main(["ingest", "--database-url", database_url, str(missing)]) == 2
    line = _one_line_error(capsys)
    assert line.startswith("newsdedup: error:") and str(missing) in line


def test_a_refused_url_tells_the_flag_that_allows_it(
    database_url: str, site: LocalSite, capsys: pytest.CaptureFixture[str]
) -> None:
    site.routes["/story.html"] = Reply(200, b"<html><body><p>Text.</p></body></html>")
    assert main(["ingest", "--database-url", database_url, site.url("/story.html")]) == 1
    out = capsys.readouterr().out
    assert "rejected as private_address: 1" in out and "--allow-private-addresses" in out


def test_a_count_flag_is_read_as_settings_are(capsys: pytest.CaptureFixture[str]) -> None:
    for bad, expected in (("0", "must be 1 or more, not '0'"), ("ten", "a whole number")):
        with pytest.raises(SystemExit) as exit_:
            main(["search", "Tartus", "--limit", bad])
        assert exit_.value.code == 2
        assert expected in capsys.readouterr().err


def test_a_count_past_the_largest_is_refused_before_any_statement(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Before (6862b0c): a traceback ending in "NumericValueOutOfRange: integer out of range".
    with pytest.raises(SystemExit) as exit_:
        main(["search", "x", "--limit", "2147483648"])
    assert exit_.value.code == 2
    assert "--limit: the value must be at most 1,000,000, not 2147483648" in (
        capsys.readouterr().err
    )


def test_a_utc_offset_no_time_zone_has_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    # Before: Python read "-23:59" as an offset and PostgreSQL refused it, with a traceback.
    with pytest.raises(SystemExit) as exit_:
        main(["search", "x", "--since", "2024-01-01T00:00-23:59"])
    assert exit_.value.code == 2
    assert "UTC offset of more than 15:59" in capsys.readouterr().err


def test_a_statement_the_database_refuses_is_one_line(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # Before: 10,000 characters ran for minutes; 33,000 said "cannot connect to the database:
    # stack depth limit exceeded".
    assert main(["search", "--database-url", database_url, "word " * 6600]) == 2
    line = _one_line_error(capsys)
    assert line == (
        "newsdedup: error: the database refused the request: "
        "a search query has at most 256 characters; this one has 33000"
    )
