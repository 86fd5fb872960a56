"""The page's charts: inline SVG, drawn on the server (no JavaScript, nothing fetched)."""

from __future__ import annotations

from newsdedup_ops.html import esc, pct

COLOURS = {
    "canonical": "#2b8a3e",
    "duplicates": "#e8590c",
    "same_story": "#1971c2",
    "rejected": "#c92a2a",
}
LABELS = {
    "ingested": "Ingested",
    "canonical": "Canonical",
    "duplicates": "Duplicates",
    "same_story": "Same story",
    "rejected": "Rejected",
}
LINE_COLOURS = ["#1971c2", "#e8590c", "#2b8a3e", "#9c36b5", "#c92a2a", "#0c8599", "#5c940d"]


def stacked_bars(
    name: str, title: str, labels: list[str], series: dict[str, list[int]], height: int = 220
) -> str:
    """Vertical stacked bars, one per label (e.g. per run), series stacked bottom-up."""
    width, left, bottom, top = 640, 40, 40, 24
    totals = [sum(values[i] for values in series.values()) for i in range(len(labels))]
    peak = max([*totals, 1])
    slot = (width - left - 10) / max(len(labels), 1)
    bar = max(min(slot * 0.7, 48), 2)
    plot_h = height - bottom - top
    parts = [
        f'<svg class="chart" data-chart="{name}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{esc(title)}"><title>{esc(title)}</title>',
        f'<line x1="{left}" y1="{top + plot_h}" x2="{width - 5}" y2="{top + plot_h}" '
        'stroke="#868e96"/>',
        f'<text x="{left - 6}" y="{top + 4}" text-anchor="end" class="axis">{peak}</text>',
        f'<text x="{left - 6}" y="{top + plot_h}" text-anchor="end" class="axis">0</text>',
    ]
    for i, label in enumerate(labels):
        x = left + i * slot + (slot - bar) / 2
        y: float = top + plot_h
        for key, values in series.items():
            h = values[i] / peak * plot_h
            if h > 0:
                y -= h
                parts.append(
                    f'<rect class="bar" data-series="{key}" x="{x:.1f}" y="{y:.1f}" '
                    f'width="{bar:.1f}" height="{h:.1f}" fill="{COLOURS.get(key, "#495057")}">'
                    f"<title>{esc(label)}: {values[i]} {LABELS.get(key, key).lower()}</title>"
                    "</rect>"
                )
        parts.append(
            f'<text x="{x + bar / 2:.1f}" y="{top + plot_h + 14}" text-anchor="middle" '
            f'class="axis">{esc(label)}</text>'
        )
    legend_x = left
    for key in series:
        parts.append(
            f'<rect x="{legend_x}" y="{height - 14}" width="10" height="10" '
            f'fill="{COLOURS.get(key, "#495057")}"/><text x="{legend_x + 14}" y="{height - 5}" '
            f'class="axis">{esc(LABELS.get(key, key))}</text>'
        )
        legend_x += 110
    parts.append("</svg>")
    return "".join(parts)


def rate_bars(name: str, title: str, rows: list[tuple[str, float, str]]) -> str:
    """Horizontal bars of a rate in [0, 1], one per row: (label, rate, note)."""
    row_h, left, width = 26, 170, 640
    height = max(len(rows), 1) * row_h + 10
    parts = [
        f'<svg class="chart" data-chart="{name}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{esc(title)}"><title>{esc(title)}</title>'
    ]
    for i, (label, rate, note) in enumerate(rows):
        y = 5 + i * row_h
        w = max(rate * (width - left - 130), 1)
        parts.append(
            f'<text x="{left - 8}" y="{y + 16}" text-anchor="end" class="label">{esc(label)}</text>'
            f'<rect class="bar" x="{left}" y="{y + 3}" width="{w:.1f}" height="18" '
            f'fill="{COLOURS["duplicates"]}"><title>{esc(label)}: {pct(rate)}</title></rect>'
            f'<text x="{left + w + 6:.1f}" y="{y + 16}" class="label">{pct(rate)} '
            f"<tspan class='muted'>{esc(note)}</tspan></text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def rate_lines(name: str, title: str, days: list[str], lines: dict[str, dict[str, float]]) -> str:
    """The duplicate rate per outlet over time: one polyline (and dots) per outlet."""
    width, height, left, bottom, top = 640, 220, 40, 56, 16
    plot_w, plot_h = width - left - 20, height - top - bottom
    step = plot_w / max(len(days) - 1, 1)

    def xy(day_index: int, rate: float) -> tuple[float, float]:
        x = left + (day_index * step if len(days) > 1 else plot_w / 2)
        return x, top + plot_h - rate * plot_h

    parts = [
        f'<svg class="chart" data-chart="{name}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{esc(title)}"><title>{esc(title)}</title>',
        f'<line x1="{left}" y1="{top + plot_h}" x2="{width - 10}" y2="{top + plot_h}" '
        'stroke="#868e96"/>',
        f'<text x="{left - 6}" y="{top + 4}" text-anchor="end" class="axis">100%</text>',
        f'<text x="{left - 6}" y="{top + plot_h}" text-anchor="end" class="axis">0%</text>',
    ]
    for i, day in enumerate(days):
        if len(days) <= 8 or i % max(len(days) // 8, 1) == 0:
            x, _ = xy(i, 0)
            parts.append(
                f'<text x="{x:.1f}" y="{top + plot_h + 14}" text-anchor="middle" '
                f'class="axis">{esc(day[5:])}</text>'
            )
    for n, (outlet, rates) in enumerate(sorted(lines.items())):
        colour = LINE_COLOURS[n % len(LINE_COLOURS)]
        points = [xy(i, rates[day]) for i, day in enumerate(days) if day in rates]
        if len(points) > 1:
            coords = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
            parts.append(
                f'<polyline points="{coords}" fill="none" stroke="{colour}" stroke-width="2"/>'
            )
        parts.extend(
            f'<circle class="point" cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{colour}">'
            f"<title>{esc(outlet)}</title></circle>"
            for x, y in points
        )
        lx = left + (n % 4) * 150
        ly = height - 26 + (n // 4) * 14
        parts.append(
            f'<rect x="{lx}" y="{ly - 9}" width="10" height="10" fill="{colour}"/>'
            f'<text x="{lx + 14}" y="{ly}" class="axis">{esc(outlet)[:22]}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
