"""The benchmark harness runs end to end on a tiny corpus and reports every figure."""

from __future__ import annotations

from bench import harness
from bench.corpus import Corpus
from bench.report import table


def test_corpus_is_deterministic_and_has_copies_and_boilerplate() -> None:
    first = [a.text for a in Corpus(seed=4).stream(60)]
    assert first == [a.text for a in Corpus(seed=4).stream(60)]
    assert first != [a.text for a in Corpus(seed=5).stream(60)]
    assert Corpus(seed=4).article(37).text == first[37]  # any article alone, for streaming
    articles = list(Corpus(seed=4).stream(300))
    copies = [a for a in articles if a.original != a.index]
    assert 0.12 < len(copies) / len(articles) < 0.3
    assert all(articles[a.original].original == a.original for a in copies)  # of an original
    assert sum("Daily newsletter" in a.text for a in articles) > 150
    words = [len(a.text.split()) for a in articles]
    assert 700 < sum(words) / len(words) < 1_300


def test_quick_harness_runs_and_reports() -> None:
    tiny = harness.Mode(
        articles=120, sample=24, html_pages=4, checkpoints=(40, 80), stored=(300, 900),
        probe_articles=20,
    )  # fmt: skip
    result = harness.run("quick", None, seed=9, workers=2, mode=tiny)
    e2e = result["end_to_end"]
    assert e2e["counts"]["inputs_read"] == 120
    assert e2e["counts"]["loaded"] == 120 and e2e["counts"]["merged"] > 5
    assert e2e["articles_per_s"] > 0 and e2e["peak_rss_mb_total"] > e2e["peak_rss_mb_main"] > 0
    assert e2e["peak_rss_mb_total"] > e2e["peak_pss_mb_total"] > 0  # the workers share pages
    assert 0 < e2e["bytes_per_article_beyond_row"] < e2e["bytes_per_article"]
    assert e2e["serial_ms_per_article"] > 0
    by_table = e2e["table_bytes_per_article"]
    assert by_table["article_fingerprints"] > 0 and "lsh_buckets" not in by_table
    one = result["end_to_end_one_worker"]
    assert one["workers"] == 1 and one["counts"] == e2e["counts"]  # the same decisions
    rates = result["end_to_end_rates"]
    assert sorted(rates) == [1, 2] and all(len(runs) == tiny.repeats for runs in rates.values())
    assert e2e["articles_per_s"] == max(rates[2]) and one["articles_per_s"] == max(rates[1])
    scale = result["scale"]
    assert [p["stored"] for p in scale] == [300, 900]
    assert all(p["counts"]["loaded"] == 20 and p["lookup_ms"] > 0 for p in scale)
    # the bulk-loaded articles are in the index: 298 keys each (42 words + 256 terms bands)
    assert scale[1]["index_keys"] >= 298 * 900
    assert [p["stored"] for p in e2e["dedupe_cost"]] == [40, 80]
    assert set(e2e["stage_seconds"]) == {
        "candidate_lookup",
        "candidate_docs",
        "verification",
        "load",
        "text_work_and_rest",
    }
    stages = result["stages"]
    assert stages["baseline_datasketch"]["minhash_per_s"] > 0
    assert stages["pool"]["html_path"] > 0
    text = table(result)
    assert "End to end" in text and "x trafilatura" in text and "x datasketch" in text
    assert "bulk-loaded store" in text and "One worker" in text and "by table" in text
