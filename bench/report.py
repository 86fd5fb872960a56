"""The markdown table of one benchmark run (printed by the harness, pasted in BENCHMARKS.md)."""

from __future__ import annotations

from typing import Any

# Targets of issue 21.
TARGET_COST_RATIO = 1.3  # placement at 1M stored / at 10k
TARGET_SERIAL_MS = 2.0  # under the dedupe lock, at 1M stored
TARGET_WORKER_SCALING = 1.7  # two workers / one, end to end
TARGET_BYTES_BEYOND_ROW = 25_000
TARGET_PSS_MB = 1_200.0  # a 2-worker ingest
TARGET_TEXT_PATH_RATIO = 0.5  # end to end / the datasketch loop
TARGET_HTML_RATIO = 1.5  # the HTML path / single-process trafilatura


def table(result: dict[str, Any]) -> str:
    stages = result["stages"]
    one, pool = stages["one_process"], stages["pool"]
    base = stages["baseline_datasketch"]
    trafilatura = stages["baseline_trafilatura_pages_per_s"]
    e2e = result["end_to_end"]
    rows = [
        ("Stage", "one process /s", f"pool of {result['workers']} /s", "ratio to baseline"),
        ("---", "---:", "---:", "---"),
        ("baseline: datasketch shingles + update_batch (128 perm)",
         f"{base['minhash_per_s']:,.0f}", "", "1.00"),
        ("baseline: datasketch MinHashLSH insert", f"{base['lsh_insert_per_s']:,.0f}", "", ""),
        ("baseline: datasketch MinHashLSH query", f"{base['lsh_query_per_s']:,.0f}", "", ""),
        ("baseline: trafilatura.extract on HTML", f"{trafilatura:,.0f}", "", "1.00"),
        ("clean (text: decode, split, cleaner rules, language)", f"{one['clean']:,.0f}",
         f"{pool['clean']:,.0f}", ""),
        ("fingerprint (words 128 + terms 256 perm, band keys)", f"{one['fingerprint']:,.0f}",
         f"{pool['fingerprint']:,.0f}",
         f"{one['fingerprint'] / base['minhash_per_s']:.2f} / "
         f"**{pool['fingerprint'] / base['minhash_per_s']:.2f}** x datasketch"),
        ("verification docs (verify.prepare)", f"{one['verification_docs']:,.0f}",
         f"{pool['verification_docs']:,.0f}", ""),
        ("HTML extraction only (trafilatura + metadata)", f"{one['html_extract']:,.0f}",
         f"{pool['html_extract']:,.0f}",
         f"{pool['html_extract'] / trafilatura:.2f} x trafilatura"),
        ("HTML path (extract + clean + fingerprint + doc)", "", f"{pool['html_path']:,.0f}",
         f"**{pool['html_path'] / trafilatura:.2f}** x trafilatura"),
    ]  # fmt: skip
    out = ["| " + " | ".join(r) + " |" for r in rows]
    seconds = e2e["stage_seconds"]
    n = e2e["counts"]["inputs_read"]
    out += [
        "",
        f"End to end, text path into PostgreSQL (`ingest.ingest_items`, {result['workers']} "
        f"workers): **{e2e['articles_per_s']:,.0f} articles/s** ({n:,} articles in "
        f"{e2e['seconds']:,} s; {e2e['articles_per_s'] / base['end_to_end_per_s']:.2f} x the "
        f"datasketch in-memory baseline of {base['end_to_end_per_s']:,.0f}/s); "
        f"counts {e2e['counts']}",
        "",
        "| Part of the end-to-end time | seconds | articles/s if alone |",
        "| --- | ---: | ---: |",
    ]
    for name, value in seconds.items():
        out.append(f"| {name} | {value:,.1f} | {n / value if value else 0:,.0f} |")
    one = result.get("end_to_end_one_worker")
    if one:
        rates = "; ".join(
            f"{workers} worker(s) {', '.join(f'{rate:,.1f}' for rate in done)}"
            for workers, done in result.get("end_to_end_rates", {}).items()
        )
        out.append(
            f"\nOne worker: {one['articles_per_s']:,.0f} articles/s; {result['workers']} workers / "
            f"one: **{e2e['articles_per_s'] / one['articles_per_s']:.2f}** "
            f"(target >= {TARGET_WORKER_SCALING}; the fastest of each worker count's runs, "
            f"each in a fresh process, taken in turn: {rates} articles/s)"
        )
    out += [
        "",
        f"Peak memory of the {result['workers']}-worker ingest: PSS "
        f"**{e2e['peak_pss_mb_total']:,.0f} MB** process tree (target <= {TARGET_PSS_MB:,.0f}); "
        f"RSS {e2e['peak_rss_mb_total']:,.0f} MB summed over the processes, "
        f"{e2e['peak_rss_mb_main']:,.0f} MB main process",
        f"Database {e2e['database_mb']:,.0f} MB: {e2e['bytes_per_article']:,.0f} bytes an article, "
        f"**{e2e['bytes_per_article_beyond_row']:,.0f}** beyond the articles row (target <= "
        f"{TARGET_BYTES_BEYOND_ROW:,}); serial time under the dedupe lock "
        f"{e2e['serial_ms_per_article']:.2f} ms an article",
        "Bytes an article by table (indexes and TOAST included): "
        + ", ".join(
            f"{name} {size:,.0f}"
            for name, size in e2e.get("table_bytes_per_article", {}).items()
            if size >= 100
        ),
        "",
        "| Stored articles | placement ms/article | lookup | candidate docs | verification "
        "| load |",
        "| ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for point in e2e["dedupe_cost"]:
        out.append(
            f"| {point['stored']:,} | {point['place_ms']:.2f} | {point['lookup_ms']:.2f} | "
            f"{point.get('docs_ms', 0.0):.2f} | {point['verify_ms']:.2f} | {point['load_ms']:.2f} |"
        )
    curve = e2e["dedupe_cost"]
    if len(curve) >= 2:
        out.append(
            f"\nCost at {curve[-1]['stored']:,} stored / at {curve[0]['stored']:,} stored: "
            f"**{curve[-1]['place_ms'] / curve[0]['place_ms']:.2f}**"
        )
    out += _scale_table(result.get("scale") or [])
    m = result["machine"]
    out += [
        "",
        f"Machine: {m['cpus']} CPUs, {m['memory_gb']} GB, Python {m['python']}, {m['platform']}; "
        f"load average before {tuple(round(x, 2) for x in m['load_before'])}, after "
        f"{tuple(round(x, 2) for x in m['load_after'])}",
        f"Other busy processes at the start: {m['busy_processes'] or 'none'}",
        f"Command: `{result['command']}`, {result['date']}",
    ]
    return "\n".join(out)


def _scale_table(points: list[dict[str, Any]]) -> list[str]:
    if not points:
        return []
    out = [
        "",
        "Placement with a bulk-loaded store (bench/scale.py), per article placed:",
        "",
        "| Stored articles | placement ms | lookup | candidate docs | verification | load "
        "| serial (lock) ms | index build s | index MB | main RSS MB | tree PSS MB |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for p in points:
        out.append(
            f"| {p['stored']:,} | {p['place_ms']:.2f} | {p['lookup_ms']:.2f} | "
            f"{p['docs_ms']:.2f} | {p['verify_ms']:.2f} | {p['load_ms']:.2f} | "
            f"{p['serial_ms']:.2f} | {p['index_build_s']:.1f} | {p['index_mb']:,.0f} | "
            f"{p['peak_rss_mb_main']:,.0f} | {p['peak_pss_mb_total']:,.0f} |"
        )
    first, last = points[0], points[-1]
    out.append(
        f"\nPlacement at {last['stored']:,} stored / at {first['stored']:,}: "
        f"**{last['place_ms'] / first['place_ms']:.2f}** (target <= {TARGET_COST_RATIO}); "
        f"serial time at {last['stored']:,}: **{last['serial_ms']:.2f} ms** (target <= "
        f"{TARGET_SERIAL_MS})"
    )
    return out
