"""``index.html`` in a run directory: the newest sample grid first, loss curves (inline SVG), older grids; it reloads
itself while the run goes on (no JavaScript)."""
from __future__ import annotations

import html
import json
from pathlib import Path

from common.core.files import write_bytes_atomic

COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf")


def _curve_svg(name: str, points: list[tuple[int, float]], width: int = 420, height: int = 160) -> str:
    if len(points) < 2:
        return ""
    steps, values = zip(*points)
    low, high = min(values), max(values)
    span_x, span_y = (max(steps) - min(steps)) or 1, (high - low) or 1
    coords = " ".join(f"{(s - min(steps)) / span_x * (width - 10) + 5:.1f},{height - 20 - (v - low) / span_y * (height - 35):.1f}" for s, v in points)
    colour = COLOURS[hash(name) % len(COLOURS)]
    return (
        f'<figure><svg width="{width}" height="{height}" style="background:#fafafa;border:1px solid #ddd">'
        f'<polyline fill="none" stroke="{colour}" stroke-width="1.5" points="{coords}"/>'
        f'<text x="5" y="12" font-size="11">{html.escape(name)}: {values[-1]:.4g} (min {low:.4g}, max {high:.4g})</text>'
        f'<text x="5" y="{height - 5}" font-size="10">step {min(steps)}..{max(steps)}</text></svg></figure>'
    )


def _labelled_image(source: str, columns: tuple[str, ...], width: str) -> str:
    """The image, ``width`` wide (pixels kept sharp: the grids are small crops), under a row of column labels of
    equal width (the grids are built from equal-width columns)."""
    image = f'<img src="{source}" style="width:100%;display:block;image-rendering:pixelated">'
    labels = "".join(f'<div style="text-align:center;font-size:12px">{html.escape(c)}</div>' for c in columns)
    header = f'<div style="display:grid;grid-template-columns:repeat({len(columns)},1fr)">{labels}</div>' if columns else ""
    return f'<div style="display:inline-block;width:{width};max-width:100%">{header}{image}</div>'


REFRESH_SECONDS = 30
NEWEST_WIDTH, OLDER_WIDTH = "1024px", "512px"


def write_run_report(run_dir: str | Path, title: str, columns: tuple[str, ...] = (), live: bool = True) -> Path:
    """(Re)write ``run_dir/index.html`` from ``metrics.jsonl`` and ``samples/*.png``; returns its path. The newest
    sample grid comes first and large, then the warnings and curves, then the older grids.

    Args:
        columns: labels of the sample grids' columns, left to right.
        live: the run goes on, so the page reloads itself every :data:`REFRESH_SECONDS` (the last write of a run
            passes False, and the page stays still).
    """
    run_dir = Path(run_dir)
    series: dict[str, list[tuple[int, float]]] = {}
    warnings: list[tuple[int, str]] = []
    metrics = run_dir / "metrics.jsonl"
    if metrics.exists():
        for line in metrics.read_text().splitlines():
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue  # a line cut short by a kill; the loop drops it on resume
            if isinstance(record.get("warnings"), list):
                warnings += [(record.get("step"), str(line)) for line in record["warnings"]]
            for key, value in record.items():
                if key not in ("step", "lr", "it_per_s") and isinstance(value, (int, float)):
                    series.setdefault(key, []).append((record["step"], float(value)))
    samples = sorted((run_dir / "samples").glob("*.png"), reverse=True)
    body = [f"<h1>{html.escape(title)}</h1>"]
    if samples:
        body.append(f"<h2>Newest sample: {html.escape(samples[0].stem)}</h2>"
                    + _labelled_image(f"samples/{html.escape(samples[0].name)}", columns, NEWEST_WIDTH))
    else:
        body.append("<p>No sample yet: the first grid is written at the first --sample-every step.</p>")
    if warnings:
        items = "".join(f"<li>step {step}: {html.escape(line)}</li>" for step, line in warnings[-20:])
        body.append(f'<h2 style="color:#b35c00">Warnings (latest {min(len(warnings), 20)})</h2><ul>{items}</ul>')
    body += ["<h2>Losses and metrics</h2>", "".join(_curve_svg(k, v) for k, v in series.items())]
    if len(samples) > 1:
        body.append("<h2>Earlier samples (newest first)</h2>")
    for sample in samples[1:]:
        body.append(f"<h3>{html.escape(sample.stem)}</h3>" + _labelled_image(f"samples/{html.escape(sample.name)}", columns, OLDER_WIDTH))
    refresh = f"<meta http-equiv='refresh' content='{REFRESH_SECONDS}'>" if live else ""
    page = (
        "<!doctype html><html><head><meta charset='utf-8'>" + refresh + "<title>" + html.escape(title) + "</title>"
        "<style>body{font-family:sans-serif;margin:2em}figure{display:inline-block;margin:4px}</style></head><body>"
        + "\n".join(body) + "</body></html>\n"
    )
    path = run_dir / "index.html"
    write_bytes_atomic(path, page.encode())
    return path
