"""The markdown table of one benchmark run (printed by the harness, pasted in BENCHMARKS.md)."""

from __future__ import annotations

from typing import Any

# Targets of issue 7.
TARGET_END_TO_END = 5_000.0
TARGET_FINGERPRINT_RATIO = 2.5
TARGET_HTML_RATIO = 1.8
TARGET_COST_RATIO = 1.5
TARGET_RSS_MB = 500.0


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
    out += [
        "",
        f"Peak RSS: {e2e['peak_rss_mb_total']:,.0f} MB process tree "
        f"({e2e['peak_rss_mb_main']:,.0f} MB main process); database {e2e['database_mb']:,.0f} MB",
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
