"""Charts drawn on the server as inline SVG: no script, no image requests, readable without colour.

Each chart is an ``<svg role="img">`` with a ``<title>`` and a ``<desc>`` that says in words what
it shows; every bar carries its value as text, and the page puts the numbers in a table beside
it, so neither colour nor sight is needed to read it. Money reaches these functions as
``Decimal``; only the bar lengths (pixels) are computed in floating point.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from markupsafe import Markup, escape

#: status colours, chosen to differ in lightness too (they are never the only cue)
STATUS_COLOURS = {
    "open": "#b45309",
    "pending": "#1d4ed8",
    "true_match": "#b91c1c",
    "false_positive": "#15803d",
    "closed": "#6b7280",
}
STATUS_LABELS = {
    "open": "open",
    "pending": "pending approval",
    "true_match": "true match",
    "false_positive": "false positive",
    "closed": "closed",
}


@dataclass(frozen=True)
class Bar:
    """One horizontal bar: its label, its length as a share of the longest, the value as text."""

    label: str
    share: float
    value: str
    colour: str = "#1d4ed8"
    note: str = ""


def _svg(width: int, height: int, title: str, desc: str, body: list[str], chart_id: str) -> Markup:
    return Markup(
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'aria-labelledby="{chart_id}-t {chart_id}-d" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{chart_id}-t">{escape(title)}</title><desc id="{chart_id}-d">{escape(desc)}</desc>'
        + "".join(body)
        + "</svg>"
    )


def hbars(bars: Sequence[Bar], *, title: str, desc: str, chart_id: str, width: int = 640) -> Markup:
    """Horizontal bars with the label on the left and the value written after each bar."""
    row = 30
    # the labels' column as wide as the longest label (about 7 px a character), the bars half the rest
    label_w = min(200, 16 + 7 * max([len(b.label) for b in bars] + [4]))
    track = (width - label_w) * 0.45
    height = max(1, len(bars)) * row + 10
    body: list[str] = []
    if not bars:
        body.append(f'<text x="0" y="20" class="empty">{escape("nothing to show")}</text>')
    for i, bar in enumerate(bars):
        y = 5 + i * row
        length = max(2.0, min(1.0, max(0.0, bar.share)) * track)
        body.append(
            f'<text x="{label_w - 8}" y="{y + 18}" text-anchor="end" class="label">{escape(bar.label)}</text>'
            f'<rect x="{label_w}" y="{y + 4}" width="{length:.1f}" height="20" rx="2" fill="{bar.colour}">'
            f"<title>{escape(bar.label)}: {escape(bar.value)}</title></rect>"
            f'<text x="{label_w + length + 6:.1f}" y="{y + 18}" class="value">{escape(bar.value)}'
            + (f" · {escape(bar.note)}" if bar.note else "")
            + "</text>"
        )
    return _svg(width, height, title, desc, body, chart_id)


def stacked_columns(
    points: Sequence[tuple[str, dict[str, int]]],
    keys: Sequence[str],
    *,
    title: str,
    desc: str,
    chart_id: str,
    width: int = 640,
    height: int = 240,
) -> Markup:
    """Columns stacked by ``keys`` (one column a point in time), with a legend that names each key."""
    left, bottom, top, legend_h = 36, 24, 22, 26
    plot_h = height - bottom - top - legend_h
    plot_w = width - left - 8
    highest = max([sum(counts.values()) for _, counts in points] + [1])
    scale = plot_h / highest
    body: list[str] = []
    # the axis: zero and the highest total
    for value in sorted({0, highest}):
        y = top + plot_h - value * scale
        body.append(
            f'<line x1="{left}" x2="{width - 8}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" class="tick">{value}</text>'
        )
    n = max(1, len(points))
    slot = plot_w / n
    col_w = min(48.0, slot * 0.7)
    for i, (label, counts) in enumerate(points):
        x = left + i * slot + (slot - col_w) / 2
        y = top + plot_h
        parts = []
        for key in keys:
            count = counts.get(key, 0)
            if not count:
                continue
            h = count * scale
            y -= h
            parts.append(f"{STATUS_LABELS.get(key, key)} {count}")
            body.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{col_w:.1f}" height="{h:.1f}" '
                f'fill="{STATUS_COLOURS.get(key, "#6b7280")}"><title>{escape(label)}: '
                f"{escape(STATUS_LABELS.get(key, key))} {count}</title></rect>"
            )
        total = sum(counts.values())
        body.append(
            f'<text x="{x + col_w / 2:.1f}" y="{y - 3:.1f}" text-anchor="middle" class="value">{total}</text>'
            f'<text x="{x + col_w / 2:.1f}" y="{top + plot_h + 16}" text-anchor="middle" class="tick">'
            f"{escape(label)}</text>"
        )
    # the legend, in words
    lx = left
    ly = height - 8
    for key in keys:
        text = STATUS_LABELS.get(key, key)
        colour = STATUS_COLOURS.get(key, "#6b7280")
        body.append(
            f'<rect x="{lx}" y="{ly - 10}" width="12" height="12" fill="{colour}"/>'
            f'<text x="{lx + 16}" y="{ly}" class="legend">{escape(text)}</text>'
        )
        lx += 24 + 7 * len(text)
    return _svg(width, height, title, desc, body, chart_id)


def timeline(
    events: Sequence[tuple[date, str, str]],
    *,
    today: date,
    title: str,
    desc: str,
    chart_id: str,
    width: int = 640,
) -> Markup:
    """Events (date, kind, short label) on one time axis ending today; each marked by shape and word."""
    height = 90 + 18 * max(0, len(events) - 1)
    left, right = 20, width - 20
    if not events:
        return _svg(width, 40, title, desc, ['<text x="0" y="20" class="empty">no events</text>'], chart_id)
    first = min(e[0] for e in events)
    last = max(today, max(e[0] for e in events))
    span = max(1, (last - first).days)

    def x_of(day: date) -> float:
        return left + (right - left) * (day - first).days / span

    axis_y = 30
    end_label = f"{last.isoformat()} (today)" if last == today else last.isoformat()
    body = [
        f'<line x1="{left}" x2="{right}" y1="{axis_y}" y2="{axis_y}" class="axis"/>',
        f'<text x="{left}" y="{axis_y - 10}" class="tick">{first.isoformat()}</text>',
        f'<text x="{right}" y="{axis_y - 10}" text-anchor="end" class="tick">{end_label}</text>',
    ]
    shapes = {"designated": "#b91c1c", "listed": "#b91c1c", "changed": "#b45309", "delisted": "#15803d"}
    for i, (day, kind, label) in enumerate(sorted(events, key=lambda e: e[0])):
        x = x_of(day)
        colour = shapes.get(kind, "#1d4ed8")
        marker = (
            f'<circle cx="{x:.1f}" cy="{axis_y}" r="6" fill="{colour}"/>'
            if kind in ("designated", "listed")
            else f'<rect x="{x - 6:.1f}" y="{axis_y - 6}" width="12" height="12" fill="{colour}"/>'
        )
        y = axis_y + 26 + 18 * i
        text = f"{day.isoformat()} {kind}: {label}"
        if len(text) > 70:
            text = text[:69] + "…"
        # about 6.5 px a character at 12 px: the label goes where it fits, right of its mark if it can
        span_px = 6.5 * len(text)
        if x + span_px <= width - 4:
            anchor, tx = "start", x
        elif x - span_px >= 4:
            anchor, tx = "end", x
        else:
            anchor, tx = "start", 4.0
        body.append(
            marker
            + f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{axis_y + 6}" y2="{y - 12}" class="grid"/>'
            + f'<text x="{tx:.1f}" y="{y}" text-anchor="{anchor}" class="label">{escape(text)}</text>'
        )
    return _svg(width, height, title, desc, body, chart_id)
