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


def _wrap(text: str, chars: int) -> list[str]:
    """``text`` in lines of at most ``chars`` characters, broken between words (a longer word alone)."""
    lines: list[str] = []
    line = ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > chars:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    if line:
        lines.append(line)
    return lines or [""]


def timeline(
    events: Sequence[tuple[date, str, str]],
    *,
    today: date,
    title: str,
    desc: str,
    chart_id: str,
    width: int = 640,
) -> Markup:
    """Events (date, kind, label) on one time axis ending today, each marked by shape and number.

    The axis carries each event's mark and its number (a number moves down a step when the one
    before is too close to read apart); under the axis the events are listed in date order, each
    with its number, its mark, its date, kind and label, wrapped to the chart's width: no label is
    cut, and none crosses another or a line.
    """
    if not events:
        return _svg(width, 40, title, desc, ['<text x="0" y="20" class="empty">no events</text>'], chart_id)
    ordered = sorted(events, key=lambda e: e[0])
    first = ordered[0][0]
    last = max(today, ordered[-1][0])
    span = max(1, (last - first).days)
    left, right = 20, width - 20
    char_px = 6.6  # a character of the 12 px font, generously: the wrap keeps every line inside

    def x_of(day: date) -> float:
        return left + (right - left) * (day - first).days / span

    axis_y = 30
    shapes = {"designated": "#b91c1c", "listed": "#b91c1c", "changed": "#b45309", "delisted": "#15803d"}

    def mark(kind: str, x: float, y: float, size: float = 6) -> str:
        colour = shapes.get(kind, "#1d4ed8")
        if kind in ("designated", "listed"):
            return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{size}" fill="{colour}"/>'
        return (
            f'<rect x="{x - size:.1f}" y="{y - size:.1f}" width="{2 * size}" height="{2 * size}" '
            f'fill="{colour}"/>'
        )

    end_label = f"{last.isoformat()} (today)" if last == today else last.isoformat()
    body = [
        f'<line x1="{left}" x2="{right}" y1="{axis_y}" y2="{axis_y}" class="axis"/>',
        f'<text x="{left}" y="{axis_y - 12}" class="tick">{first.isoformat()}</text>',
        f'<text x="{right}" y="{axis_y - 12}" text-anchor="end" class="tick">{end_label}</text>',
    ]
    # the marks and their numbers: a number steps down when it would touch the one before
    levels: list[tuple[float, int]] = []  # (right edge, level) of the numbers placed so far
    deepest = 0
    for i, (day, kind, _label) in enumerate(ordered, start=1):
        x = x_of(day)
        number = str(i)
        half = char_px * len(number) / 2 + 2
        level = 0
        while any(level == lv and x - half < edge for edge, lv in levels):
            level += 1
        levels.append((x + half, level))
        deepest = max(deepest, level)
        body.append(mark(kind, x, axis_y))
        ny = axis_y + 22 + 14 * level
        body.append(f'<text x="{x:.1f}" y="{ny}" text-anchor="middle" class="tick">{number}</text>')
    # the list under the axis: number, mark, date, kind and label, wrapped
    y = axis_y + 22 + 14 * deepest + 26
    text_x = left + 44
    chars = max(20, int((width - text_x - 4) / char_px))
    for i, (day, kind, label) in enumerate(ordered, start=1):
        lines = _wrap(f"{day.isoformat()} {kind}: {label}" if label else f"{day.isoformat()} {kind}", chars)
        body.append(f'<text x="{left + 16}" y="{y}" text-anchor="end" class="tick">{i}</text>')
        body.append(mark(kind, left + 28, y - 4, 5))
        spans = "".join(
            f'<tspan x="{text_x}" dy="{0 if n == 0 else 16}">{escape(line)}</tspan>'
            for n, line in enumerate(lines)
        )
        body.append(f'<text x="{text_x}" y="{y}" class="label">{spans}</text>')
        y += 16 * len(lines) + 6
    return _svg(width, int(y), title, desc, body, chart_id)
