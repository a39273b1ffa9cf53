"""Self-contained SVG heatmaps of attention weights for Jupyter, JupyterLite and files.

``heatmap(weights)`` draws ``(n,)``, ``(m, n)`` or ``(heads, m, n)`` weights, one panel per
head, with token labels, a colour legend and a tooltip (``<title>``) on every cell. No
scripts and no external resources, so it renders even in untrusted notebook outputs.
"""

from __future__ import annotations

import hashlib
import html
import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from . import _validation as check
from .errors import DimensionMismatchError, InvalidInputError

__all__ = ["Heatmap", "heatmap", "token_vectors"]

# viridis at 9 evenly spaced stops (matplotlib's values), interpolated linearly
_VIRIDIS = np.array(
    [
        [68, 1, 84], [71, 44, 122], [59, 81, 139], [44, 113, 142], [33, 144, 141],
        [39, 173, 129], [92, 200, 99], [170, 220, 50], [253, 231, 37],
    ],
    dtype=float,
)

_CELL, _GAP, _FONT = 22, 28, 11


def colormap(t: np.ndarray) -> np.ndarray:
    """Viridis RGB (0-255 ints) for values ``t`` in [0, 1]."""
    pos = np.clip(t, 0.0, 1.0) * (len(_VIRIDIS) - 1)
    lo = np.floor(pos).astype(int).clip(0, len(_VIRIDIS) - 2)
    frac = (pos - lo)[..., None]
    return np.rint(_VIRIDIS[lo] * (1 - frac) + _VIRIDIS[lo + 1] * frac).astype(int)


def token_vectors(tokens: Sequence[str], dim: int, seed: int = 0) -> np.ndarray:
    """A fixed unit-scale float32 vector per token: the same token and seed give the same
    vector on every platform (SHA-256 of ``seed:token`` seeds a PCG64 generator)."""
    dim = check.positive_int("dim", dim)
    rows = []
    for token in tokens:
        digest = hashlib.sha256(f"{seed}:{token}".encode()).digest()
        rng = np.random.default_rng(int.from_bytes(digest[:8], "little"))
        rows.append(rng.standard_normal(dim) / np.sqrt(dim))
    return np.asarray(rows, dtype=np.float32).reshape(len(rows), dim)


class Heatmap:
    """An SVG heatmap; displays itself in notebooks and saves as ``.svg`` or ``.html``."""

    def __init__(self, svg: str, weights: np.ndarray) -> None:
        self.svg = svg
        self.weights = weights

    def _repr_html_(self) -> str:
        return self.svg

    def __str__(self) -> str:
        return self.svg

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write an ``.svg`` file, or a standalone HTML page for any other suffix."""
        text = self.svg
        if not os.fspath(path).lower().endswith(".svg"):
            text = (
                '<!doctype html>\n<html><head><meta charset="utf-8"><title>Attention weights</title>'
                '</head><body style="font-family:sans-serif">\n' + self.svg + "\n</body></html>\n"
            )
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)


def _labels(labels: Sequence[Any] | None, count: int, axis: str) -> list[str]:
    if labels is None:
        return [str(i) for i in range(count)]
    labels = [str(label) for label in labels]
    if len(labels) != count:
        raise DimensionMismatchError(
            f"{axis} has {len(labels)} labels for {count} columns/rows", expected=count, actual=len(labels)
        )
    return labels


def heatmap(
    weights: Any,
    x_labels: Sequence[Any] | None = None,
    y_labels: Sequence[Any] | None = None,
    *,
    title: str | None = None,
) -> Heatmap:
    """Draw attention weights as an SVG heatmap.

    Args:
        weights: ``(n,)``, ``(m, n)`` or ``(heads, m, n)``; columns are keys, rows queries.
        x_labels: ``n`` key labels (default indices). y_labels: ``m`` query labels.

    >>> h = heatmap([[0.9, 0.1], [0.3, 0.7]], ["a", "b"], ["q1", "q2"])
    >>> h.svg.startswith("<svg") and "<title>q1 → a: 0.9000</title>" in h.svg
    True
    """
    w = check.as_array(weights, "weights")
    if w.ndim not in (1, 2, 3) or w.size == 0:
        raise InvalidInputError(f"weights must be a non-empty (n,), (m, n) or (heads, m, n) array, got {w.shape}")
    w = w.reshape((1,) * (3 - w.ndim) + w.shape)
    heads, m, n = w.shape
    xs, ys = _labels(x_labels, n, "x_labels"), _labels(y_labels, m, "y_labels")
    lo, hi = float(w.min()), float(w.max())
    span = hi - lo if hi > lo else 1.0
    colours = colormap((w - lo) / span)

    left = 8 + _FONT * 0.62 * max(len(y) for y in ys)
    title_height = 22 if title else 0
    top = title_height + 30 + _FONT * 0.62 * max(len(x) for x in xs)
    panel_w, panel_h = n * _CELL, m * _CELL
    width = left + heads * (panel_w + _GAP) + 70
    height = top + panel_h + 16
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" font-family="sans-serif" font-size="{_FONT}">'
    ]
    if title:
        out.append(f'<text x="{left:.0f}" y="14" font-weight="bold">{html.escape(title)}</text>')
    for h in range(heads):
        x0 = left + h * (panel_w + _GAP)
        if heads > 1:
            out.append(f'<text x="{x0:.0f}" y="{title_height + 12}" fill="#555">head {h}</text>')
        for j, label in enumerate(xs):
            cx = x0 + j * _CELL + _CELL / 2
            out.append(
                f'<text x="{cx:.1f}" y="{top - 6:.0f}" transform="rotate(-60 {cx:.1f} {top - 6:.0f})">'
                f"{html.escape(label)}</text>"
            )
        for i in range(m):
            if h == 0:
                out.append(
                    f'<text x="{left - 4:.0f}" y="{top + i * _CELL + _CELL * 0.65:.1f}" text-anchor="end">'
                    f"{html.escape(ys[i])}</text>"
                )
            for j in range(n):
                r, g, b = colours[h, i, j]
                out.append(
                    f'<rect x="{x0 + j * _CELL:.0f}" y="{top + i * _CELL:.0f}" width="{_CELL}" height="{_CELL}" '
                    f'fill="rgb({r},{g},{b})"><title>{html.escape(ys[i])} → {html.escape(xs[j])}: '
                    f"{w[h, i, j]:.4f}</title></rect>"
                )
    # legend: a vertical gradient from lo (bottom) to hi (top)
    lx = left + heads * (panel_w + _GAP)
    stops = "".join(
        f'<stop offset="{t:.2f}" stop-color="rgb({r},{g},{b})"/>'
        for t, (r, g, b) in zip(np.linspace(0, 1, 9), colormap(np.linspace(1, 0, 9)))
    )
    out.append(f'<defs><linearGradient id="ra-legend" x1="0" y1="0" x2="0" y2="1">{stops}</linearGradient></defs>')
    out.append(f'<rect x="{lx:.0f}" y="{top:.0f}" width="12" height="{panel_h}" fill="url(#ra-legend)"/>')
    out.append(f'<text x="{lx + 16:.0f}" y="{top + 9:.0f}">{hi:.3g}</text>')
    out.append(f'<text x="{lx + 16:.0f}" y="{top + panel_h:.0f}">{lo:.3g}</text>')
    out.append("</svg>")
    return Heatmap("\n".join(out), w)
