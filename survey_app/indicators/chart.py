"""Draw an indicator's figures over the periods as an inline SVG, on the server.

An inline SVG with presentation attributes needs no script and no inline style, so the page
keeps its content security policy. Women, men and total are three lines; a survey figure's 95%
CI is a vertical bar; the plan target is a dashed line.
"""

from __future__ import annotations

from markupsafe import Markup, escape

from .services import TableRow

WIDTH, HEIGHT = 640, 300
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 16, 56
COLOURS = {"F": "#b8336a", "M": "#1f5c99", "T": "#444444"}


def chart_svg(
    rows: list[TableRow], labels: dict[str, str], target: float | None, title: str
) -> Markup:
    """The SVG of a browse table's rows (one per period); empty when nothing is plotted."""
    points: list[tuple[int, str, float, float | None, float | None]] = []
    for i, row in enumerate(rows):
        for sex, figure in row.cells.items():
            if figure is None or figure.value is None:
                continue
            points.append((i, sex, figure.value, figure.ci_low, figure.ci_high))
    if not points:
        return Markup("")
    values = [p[2] for p in points]
    values += [v for p in points for v in (p[3], p[4]) if v is not None]
    if target is not None:
        values.append(target)
    low, high = min(values), max(values)
    if high == low:
        low, high = low - 1, high + 1
    pad = (high - low) * 0.08
    low, high = low - pad, high + pad
    inner_w = WIDTH - LEFT - RIGHT
    inner_h = HEIGHT - TOP - BOTTOM
    step = inner_w / max(len(rows), 1)

    def x(i: int) -> float:
        return LEFT + step * (i + 0.5)

    def y(v: float) -> float:
        return TOP + inner_h * (1 - (v - low) / (high - low))

    parts = [
        f'<svg class="indicator-chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{HEIGHT - BOTTOM}" stroke="#888"/>',
        f'<line x1="{LEFT}" y1="{HEIGHT - BOTTOM}" x2="{WIDTH - RIGHT}" y2="{HEIGHT - BOTTOM}" '
        f'stroke="#888"/>',
    ]
    for k in range(5):
        v = low + (high - low) * k / 4
        parts.append(
            f'<text x="{LEFT - 6}" y="{y(v) + 4:.1f}" font-size="12" text-anchor="end">'
            f"{v:.1f}</text>"
        )
    for i, row in enumerate(rows):
        parts.append(
            f'<text x="{x(i):.1f}" y="{HEIGHT - BOTTOM + 18}" font-size="12" '
            f'text-anchor="middle">{escape(row.label)}</text>'
        )
    if target is not None:
        parts.append(
            f'<line class="target" x1="{LEFT}" y1="{y(target):.1f}" x2="{WIDTH - RIGHT}" '
            f'y2="{y(target):.1f}" stroke="#2a7a2a" stroke-width="2" stroke-dasharray="6 4"/>'
            f'<text x="{WIDTH - RIGHT}" y="{y(target) - 4:.1f}" font-size="12" '
            f'text-anchor="end" fill="#2a7a2a">{escape(labels["target"])} {target:g}</text>'
        )
    for n, sex in enumerate(("F", "M", "T")):
        mine = sorted((p for p in points if p[1] == sex), key=lambda p: p[0])
        if not mine:
            continue
        colour = COLOURS[sex]
        if len(mine) > 1:
            path = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, _s, v, _lo, _hi in mine)
            parts.append(
                f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>'
            )
        for i, _s, v, lo, hi in mine:
            if lo is not None and hi is not None:
                parts.append(
                    f'<line class="ci" x1="{x(i):.1f}" y1="{y(lo):.1f}" x2="{x(i):.1f}" '
                    f'y2="{y(hi):.1f}" stroke="{colour}" stroke-width="1.5"/>'
                )
            parts.append(f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="4" fill="{colour}"/>')
        legend_x = LEFT + 120 * n
        parts.append(
            f'<rect x="{legend_x}" y="{HEIGHT - 22}" width="14" height="4" fill="{colour}"/>'
            f'<text x="{legend_x + 20}" y="{HEIGHT - 16}" font-size="12">'
            f"{escape(labels[sex])}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))
