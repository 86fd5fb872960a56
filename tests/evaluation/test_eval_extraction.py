"""`newsdedup eval extraction` on a small labelled set written here, in both dataset layouts."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from pipeline.cli import main
from pipeline.evaluation import rules
from pipeline.evaluation.extraction import PIPELINE, TRAFILATURA_DEFAULT, evaluate, extract_all
from pipeline.evaluation.metric import precision_recall, score

BODY = [
    "The city council voted on Tuesday to close the old harbour bridge to cars from March, "
    "after engineers found corrosion in two of its steel supports.",
    "Buses and bicycles will still cross while a replacement is designed, the transport "
    "committee said in a statement issued after the vote.",
    "Shop owners on the north bank warned that the closure could cut their trade by a "
    "quarter during the busiest months of the year.",
    "The council expects the new bridge to open in 2027 and to cost about 40 million euros, "
    "most of it paid from a national infrastructure fund.",
]
FURNITURE = [
    "READ MORE: Council approves budget for new library",
    "Sign up for our morning newsletter",
    "Share this article",
    "© 2024 Harbour Herald. All rights reserved.",
]


def _page(title: str) -> str:
    body = "".join(f"<p>{p}</p>" for p in BODY[:2])
    body += f"<p>{FURNITURE[0]}</p>"
    body += "".join(f"<p>{p}</p>" for p in BODY[2:])
    body += "".join(f"<p>{p}</p>" for p in FURNITURE[1:])
    return (
        f"<html><head><title>{title} | Harbour Herald</title>"
        '<meta property="article:published_time" content="2024-02-06T21:30:00-05:00">'
        '<meta name="author" content="Ana Ruiz"></head>'
        f"<body><article><h1>{title}</h1>{body}</article></body></html>"
    )


def _naeb_layout(root: Path) -> Path:
    (root / "html").mkdir(parents=True)
    records = []
    for number in range(3):
        name = f"page{number}.html.gz"
        title = f"Harbour bridge to close to cars, part {number}"
        (root / "html" / name).write_bytes(gzip.compress(_page(title).encode("utf-8")))
        records.append(
            {
                "id": number,
                "html_file": name,
                "text": "\n".join(BODY),
                "link": f"https://herald.example/news/{number}",
                "title": title,
                "authors": "Ana Ruiz",
                "date": "2024-02-06",
            }
        )
    (root / "ground_truth.json").write_text(json.dumps(records), encoding="utf-8")
    return root


def _fundus_layout(root: Path) -> Path:
    (root / "html").mkdir(parents=True)
    truth = {}
    for number in range(2):
        name = f"Herald_{number}.html"
        (root / "html" / name).write_text(_page(f"Bridge story {number}"), encoding="utf-8")
        truth[name] = {"body": BODY, "url": f"https://herald.example/b/{number}"}
    (root / "ground_truth.json").write_text(json.dumps(truth), encoding="utf-8")
    return root


def test_metric_counts_shingles_per_document() -> None:
    assert precision_recall("a b c d e", "a b c d e") == (1.0, 1.0)
    precision, recall = precision_recall("a b c d e", "a b c d")  # 1 of 2 gold shingles
    assert (precision, recall) == (1.0, 0.5)
    assert score([("a b c d", "a b c d"), ("a b c d", "x y z w")]).precision == 0.5


def test_pipeline_beats_trafilatura_on_furniture_and_reads_metadata(tmp_path: Path) -> None:
    report = evaluate(_naeb_layout(tmp_path / "naeb"), workers=1)
    ours, baseline = report.scores[PIPELINE], report.scores[TRAFILATURA_DEFAULT]
    assert ours.documents == baseline.documents == 3
    assert ours.precision == pytest.approx(1.0)
    assert ours.recall == pytest.approx(1.0)
    assert baseline.precision < 0.95  # trafilatura keeps the furniture lines
    assert report.metadata is not None
    assert (report.metadata.hits["title"], report.metadata.gold["title"]) == (3, 3)
    # 21:30 at UTC-5 is still February 6 where it was published.
    assert (report.metadata.hits["date"], report.metadata.hits["authors"]) == (3, 3)


def test_command_prints_both_datasets_side_by_side(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    naeb, fundus = _naeb_layout(tmp_path / "naeb"), _fundus_layout(tmp_path / "fundus")
    assert main(["eval", "extraction", str(naeb), str(fundus), "--workers", "1"]) == 0
    out = capsys.readouterr().out
    for expected in ("trafilatura (default)", "trafilatura (favor_precision)", "newsdedup"):
        assert out.count(expected) == 2
    assert "naeb: F1 +" in out and "fundus: F1 +" in out
    assert "Metadata exact match" in out


def test_a_folder_without_gold_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["eval", "extraction", str(tmp_path)]) == 2
    assert "no ground_truth.json" in capsys.readouterr().err


def test_dates_a_page_does_not_state_are_counted_apart(tmp_path: Path) -> None:
    root = _naeb_layout(tmp_path / "naeb")
    records = json.loads((root / "ground_truth.json").read_text(encoding="utf-8"))
    records[0]["date"] = "2023-02-06"  # a year the page never writes
    (root / "ground_truth.json").write_text(json.dumps(records), encoding="utf-8")
    report = evaluate(root, workers=1)
    assert report.metadata is not None
    assert report.metadata.unstated == 1
    assert (report.metadata.hits["date"], report.metadata.gold["date"]) == (2, 3)
    assert (report.metadata.hits["date stated"], report.metadata.gold["date stated"]) == (2, 2)


def test_rule_evidence_counts_gold_text_a_rule_removed(tmp_path: Path) -> None:
    root = _naeb_layout(tmp_path / "naeb")
    records = json.loads((root / "ground_truth.json").read_text(encoding="utf-8"))
    records[0]["text"] += "\n" + FURNITURE[0]  # this page's gold counts its promo line as text
    (root / "ground_truth.json").write_text(json.dumps(records), encoding="utf-8")
    evidence = rules.collect("naeb", extract_all(root, workers=1))
    promo = evidence.rules["promo"]
    assert promo.lines == 3 and promo.removed_chars == 3 * len(FURNITURE[0])
    assert promo.gold_chars == len(FURNITURE[0])
    assert evidence.rules["prompt"].removed_chars > 0 and evidence.rules["prompt"].gold_chars == 0
    # With the promo rule off, the page whose gold has the line gains and the others lose.
    assert promo.f1_without < evidence.f1_all
    assert evidence.hurting() == set()


def test_command_reports_rules_and_both_cross_fit_directions(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    naeb, fundus = _naeb_layout(tmp_path / "naeb"), _fundus_layout(tmp_path / "fundus")
    args = ["eval", "extraction", str(naeb), str(fundus), "--workers", "1", "--rules"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "What each rule removes" in out
    assert "fit on naeb, checked on fundus" in out and "fit on fundus, checked on naeb" in out


def test_the_pages_lost_against_favor_precision_are_listed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _naeb_layout(tmp_path / "naeb")
    records = json.loads((root / "ground_truth.json").read_text(encoding="utf-8"))
    # Gold that is the whole page, furniture too: the cleaner's removals lose against
    # trafilatura, which keeps it.
    records[1]["text"] = "\n".join([*BODY[:2], FURNITURE[0], *BODY[2:], *FURNITURE[1:]])
    (root / "ground_truth.json").write_text(json.dumps(records), encoding="utf-8")
    report = evaluate(root, workers=1)
    assert [page.id for page in report.losses] == ["page1.html.gz"]
    assert report.losses[0].pipeline_f1 < report.losses[0].precision_f1
    assert main(["eval", "extraction", str(root), "--workers", "1"]) == 0
    out = capsys.readouterr().out
    assert "Pages where the pipeline loses most against favor_precision" in out
    assert "naeb: 1 pages below favor_precision, 0 of them by more than 0.3 F1" in out
