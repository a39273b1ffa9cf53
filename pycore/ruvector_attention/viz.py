"""Attention weights for Jupyter, JupyterLite and files: SVG heatmaps and the explorer.

``heatmap(weights)`` draws ``(n,)``, ``(m, n)`` or ``(heads, m, n)`` weights, one panel per
head, with token labels, a colour legend and a tooltip (``<title>``) on every cell. No
scripts and no external resources. (JupyterLab shows it in outputs made in the session;
its sanitizer reduces an untrusted saved output, SVG included, to its text.)

``explore(attn_or_weights, ...)`` writes the interactive explorer of ``web/visualizer/`` as
one offline HTML file: its JavaScript modules inlined (an import map of ``data:`` URLs),
the weights as base64 float32, and for a mechanism the views only this library computes
(the Poincaré disk, MoE routing, the transport plan, the attention graph, topology modes and
the geometry report of the keys), each computed here by the mechanism's own methods.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import math
import os
import re
from collections.abc import Sequence
from importlib import resources
from typing import Any

import numpy as np

from . import _validation as check
from .base import Attention
from .errors import DimensionMismatchError, InvalidInputError
from .registry import create, resolve
from .report import ReportBuilder, ReportConfig

__all__ = ["Explorer", "Heatmap", "explore", "heatmap", "special_views", "token_vectors"]

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


# ---------------------------------------------------------------------------- the explorer

_GRAPH_MECHANISMS = ("edge_featured", "dual_space", "diffusion", "hnsw_aware", "structural")
_BALL_RADIUS = 0.3
"""Where ``explore`` puts token vectors for hyperbolic mechanisms: ``|x| ≈ 0.3/√c``, well
inside the ball (vectors of norm ~1 sit at its boundary and give near-identity weights)."""
_DISK_QUERIES = 64
"""Most queries the Poincaré disk offers to pick from."""
_FALLBACK_CELLS = 20_000
"""Largest weight count whose SVG heatmap is embedded for viewers without scripts."""
_IMPORT = re.compile(r"""(\bfrom\s*|\bimport\s*\(?\s*)(["'])\./([\w.-]+\.mjs)\2""")
_MODULE_PREFIX = "ra-visualizer/"


def _modules(entry: str = "standalone.mjs") -> dict[str, str]:
    """The visualizer modules ``entry`` needs (package data), with their relative imports
    renamed to ``ra-visualizer/<file>`` so that an import map can serve them."""
    root = resources.files(__package__) / "visualizer"
    sources: dict[str, str] = {}
    todo = [entry]
    while todo:
        name = todo.pop()
        if name in sources:
            continue
        text = (root / name).read_text(encoding="utf-8")
        todo += [m.group(3) for m in _IMPORT.finditer(text)]
        sources[name] = _IMPORT.sub(lambda m: f"{m.group(1)}{m.group(2)}{_MODULE_PREFIX}{m.group(3)}{m.group(2)}", text)
    return sources


def _script_json(value: Any) -> str:
    """JSON that is safe inside a ``<script>`` element (no ``</script>``, no ``<!--``)."""
    return json.dumps(value, separators=(",", ":"), allow_nan=False).replace("<", "\\u003c")


def _floats(x: Any) -> list:
    """Nested lists of Python floats (float32 values exactly) for JSON."""
    return np.asarray(x, dtype=np.float64).tolist()


def _poincare(attn: Attention, queries: np.ndarray, keys: np.ndarray, weights: np.ndarray, labels: dict) -> dict:
    """The keys in the Poincaré ball (mixed_curvature: its hyperbolic slice) with the query
    ``labels['row']`` and its row of ``weights (m, n)``, then the next queries (up to
    ``_DISK_QUERIES`` in all) to pick from."""
    row = labels["row"]
    k, q, curvature = keys, queries, getattr(attn.config, "curvature", None)
    note = ""
    if attn.name == "mixed_curvature":
        h = attn.config.slices[1]
        k, q, curvature = keys[:, h], queries[:, h], attn.config.curvature_h
        note = f" (hyperbolic slice, {k.shape[1]} dims)"
    others = [r for r in range(len(q)) if r != row][: _DISK_QUERIES - 1]
    return {
        "view": "poincare", "keys": _floats(k.ravel()), "query": _floats(q[row]), "dim": int(k.shape[1]),
        "curvature": float(curvature), "weights": _floats(weights[row]), "labels": labels["x"],
        "queryLabel": labels["y"][row], "title": f"Poincaré disk · {attn.name}{note}",
        "others": [{"label": labels["y"][r], "query": _floats(q[r]), "weights": _floats(weights[r])} for r in others],
    }


def _routing(attn: Any, queries: np.ndarray, labels: dict) -> dict:
    """Each query's ``routing()`` alone, and the batch's routing under expert capacity."""
    gates = np.zeros((len(queries), attn.config.num_experts))
    for i, q in enumerate(queries):
        for expert, gate in attn.routing(q):
            gates[i, expert] = gate
    batch = attn._gates(queries)  # the assignment compute_batch makes (capacity couples the rows)
    stats = attn.last_stats
    return {
        "view": "routing", "experts": [e.name for e in attn.experts], "tokens": labels["y"], "gates": _floats(gates),
        "batch": {
            "gates": _floats(batch), "capacity": stats["capacity"], "tokensPerExpert": stats["tokens_per_expert"],
            "rerouted": stats["rerouted"], "dropped": stats["dropped"], "overCapacity": stats["over_capacity"],
        },
    }


def _transport(attn: Any, keys: np.ndarray, labels: dict) -> dict:
    """The plan of the keys' OT problem: row ``i`` is ``a_i π(· | k_i)`` with ``a_i = 1/n``."""
    solved = attn.transport(keys)
    plan = attn.centroid_weights(keys, solved) / len(keys)
    masses = solved.clusters.counts / len(keys)
    return {"view": "transport", "plan": _floats(plan), "masses": _floats(masses), "labels": labels["x"],
            "title": f"Transport plan · {len(keys)} keys → {len(masses)} centroids"}


def _topology(attn: Any, keys: np.ndarray, labels: dict) -> dict:
    """A fresh copy of the mechanism stepped over the keys: after key ``t`` the coherence of
    the window ending there and the mode the policy moves to (query = key ``t``)."""
    cfg = attn.config
    gated = resolve(attn.name)(**cfg.to_dict())
    windows = []
    for t in range(len(keys)):
        seen = keys[: t + 1]
        coherence = gated.coherence(seen)
        gated.weights(keys[t], seen)
        windows.append({"end": t, "mode": gated.current_mode().value, "coherence": coherence})
    return {
        "view": "topology", "windows": windows, "window": cfg.window, "labels": labels["x"],
        "thresholds": {"stable": cfg.stable_threshold, "cautious": cfg.cautious_threshold, "freeze": cfg.freeze_threshold},
    }


def _report(keys: np.ndarray) -> dict:
    """The geometry report of the keys and why it recommends what it does."""
    cfg = ReportConfig()
    report = ReportBuilder(cfg).analyze_keys(keys).build()
    out = report.to_dict()
    metric = {m["type"]: m for m in out["metrics"]}
    why = {
        "geometric": lambda: f"hierarchy {metric['hierarchy']['value']:.3g} is below {cfg.hierarchy_threshold}: "
        "the keys' metric is tree-like (small Gromov δ)",
        "sparse": lambda: f"attention entropy {metric['attention_entropy']['value']:.3g} is at least "
        f"{cfg.sparse_entropy_ratio} × ln(keys attended) over {out['sequence_length']} ≥ {cfg.long_sequence} keys: "
        "attention is diffuse over a long sequence",
        "diffusion": lambda: f"diffusion energy {metric['diffusion_energy']['value']:.3g} is "
        f"{metric['diffusion_energy']['status']}: attention jumps between neighbouring keys",
        "standard": lambda: f"nothing calls for another family: hierarchy ≥ {cfg.hierarchy_threshold}, "
        "attention not diffuse over a long sequence, diffusion energy healthy",
    }[out["recommendation"]]()
    return {"view": "report", **out, "why": why}


def _special(attn: Attention, queries: np.ndarray, keys: np.ndarray, weights: np.ndarray, labels: dict) -> list:
    """The payloads of the views that apply to ``attn`` (``weights (heads, m, n)`` as the
    matrix shows them), then the keys' geometry report."""
    name = attn.name
    payloads: list[dict] = []
    if name == "hyperbolic" or (name == "mixed_curvature" and attn.config.hyperbolic_dim > 0):
        payloads.append(_poincare(attn, queries, keys, weights.mean(axis=0), labels))
    elif name in _GRAPH_MECHANISMS:
        payloads.append({"view": "graph", "weights": _floats(weights.mean(axis=0)), "rows": len(queries),
                         "cols": len(keys), "labels": labels["x"], "title": f"Attention graph · {name}"})
    elif name == "moe":
        payloads.append(_routing(attn, queries, labels))
    elif name == "centroid_ot":
        payloads.append(_transport(attn, keys, labels))
    elif name == "topology_gated":
        payloads.append(_topology(attn, keys, labels))
    payloads.append(_report(keys))
    return payloads


def _view_labels(x_labels: Any, y_labels: Any, n: int, m: int, query_row: Any) -> dict[str, Any]:
    """The views' labels: ``n`` key labels, ``m`` query labels and the query the disk shows."""
    row = check.non_negative_int("query_row", query_row)
    if row >= m:
        raise InvalidInputError(f"query_row must be below the {m} queries, got {query_row}")
    return {"x": _labels(x_labels, n, "x_labels"), "y": _labels(y_labels, m, "y_labels"), "row": row}


def special_views(
    attn: Attention,
    queries: Any,
    keys: Any,
    *,
    mask: Any = None,
    causal: bool | None = None,
    extras: dict[str, Any] | None = None,
    x_labels: Sequence[Any] | None = None,
    y_labels: Sequence[Any] | None = None,
    query_row: int = 0,
) -> list[dict[str, Any]]:
    """The payloads of the views only this library draws for ``attn`` on these inputs, as
    :func:`explore` embeds them and ``web/visualizer/special.mjs`` draws them (JSON-ready):
    the Poincaré disk, moe's routing, centroid_ot's plan, the graph, topology_gated's modes,
    then the keys' geometry report. The demo asks a worker for them (``bridge.views``).

    >>> [p["view"] for p in special_views(create("moe", dim=4), np.eye(4), np.eye(4))]
    ['routing', 'report']
    """
    q = check.as_matrix(queries, "queries", cols=attn.dim)
    k = check.as_matrix(keys, "keys", cols=attn.dim)
    weights = attn.head_weights_batch(q, k, mask, causal=causal, **(extras or {}))
    labels = _view_labels(x_labels, y_labels, len(k), len(q), query_row)
    return _special(attn, q, k, weights, labels)


class Explorer:
    """The explorer as one offline HTML page: ``.html``, ``.save(path)``, and in notebooks
    an ``<iframe srcdoc>`` (its scripts run where the output is trusted); ``.weights`` are
    its ``(layers, heads, m, n)`` weights and ``.heatmap()`` the script-free SVG of them."""

    def __init__(self, page: str, data: dict[str, Any], weights: np.ndarray) -> None:
        self.html = page
        self.data = data
        self.weights = weights

    def heatmap(self) -> Heatmap:
        """Every layer's heads as one SVG heatmap (built on demand: ``m·n`` cells a head)."""
        layers, heads, m, n = self.weights.shape
        return heatmap(self.weights.reshape(-1, m, n), self.data["xLabels"], self.data["yLabels"], title=self.data["title"])

    def _repr_html_(self) -> str:
        return (
            f'<iframe srcdoc="{html.escape(self.html, quote=True)}" sandbox="allow-scripts allow-downloads" '
            'style="width:100%;height:720px;border:1px solid #ddd;border-radius:6px" '
            'title="attention explorer"></iframe>'
        )

    def __str__(self) -> str:
        return self.html

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the page (``.html``)."""
        with open(path, "w", encoding="utf-8") as f:
            f.write(self.html)


def _page(data: dict[str, Any], fallback: str, title: str) -> str:
    imports = {
        _MODULE_PREFIX + name: "data:text/javascript;base64," + base64.b64encode(text.encode("utf-8")).decode("ascii")
        for name, text in _modules().items()
    }
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title><link rel=\"icon\" href=\"data:,\">"
        "<style>body{margin:16px;font:14px/1.4 system-ui,sans-serif;color:#1d1d1f;background:#fff}"
        "h1{font-size:18px;margin:0 0 12px}"
        "@media (prefers-color-scheme: dark){body{color:#e8e8ea;background:#16171a}}</style>\n"
        f'<script type="importmap">{_script_json({"imports": imports})}</script>\n'
        '</head><body><main id="ra-explorer"></main>\n'
        f"<noscript>{fallback}</noscript>\n"
        f'<script type="application/json" id="ra-explorer-data">{_script_json(data)}</script>\n'
        '<script type="module">\n'
        f"import {{ mountStandalone }} from '{_MODULE_PREFIX}standalone.mjs';\n"
        "const data = JSON.parse(document.getElementById('ra-explorer-data').textContent);\n"
        "window.raExplorer = mountStandalone(document.getElementById('ra-explorer'), data);\n"
        "document.body.dataset.ready = 'true';\n"
        "</script>\n</body></html>\n"
    )


def _token_keys(attn: Attention, tokens: Sequence[str], seed: int) -> np.ndarray:
    """Hashed token vectors; for hyperbolic mechanisms scaled well inside the ball."""
    keys = token_vectors(tokens, attn.dim, seed=seed)
    if attn.name == "hyperbolic":
        keys *= np.float32(_BALL_RADIUS / math.sqrt(attn.config.c))
    elif attn.name == "mixed_curvature":
        keys[:, attn.config.slices[1]] *= np.float32(_BALL_RADIUS / math.sqrt(-attn.config.curvature_h))
    return keys


def _stack(weights: Any, name: str) -> np.ndarray:
    """Weights ``(n,)``, ``(m, n)``, ``(heads, m, n)`` or ``(layers, heads, m, n)`` as a
    little-endian float32 ``(layers, heads, m, n)`` array."""
    w = check.as_array(weights, name)
    if w.ndim not in (1, 2, 3, 4) or w.size == 0:
        raise InvalidInputError(
            f"{name} must be a non-empty (n,), (m, n), (heads, m, n) or (layers, heads, m, n) array, got {w.shape}"
        )
    return np.ascontiguousarray(w.reshape((1,) * (4 - w.ndim) + w.shape), dtype="<f4")


def _encoded(w: np.ndarray) -> dict[str, Any]:
    return {"b64": base64.b64encode(np.ascontiguousarray(w, dtype="<f4").tobytes()).decode("ascii"), "shape": list(w.shape)}


def explore(
    source: Any,
    queries: Any = None,
    keys: Any = None,
    *,
    tokens: Sequence[str] | None = None,
    x_labels: Sequence[Any] | None = None,
    y_labels: Sequence[Any] | None = None,
    mask: Any = None,
    causal: bool = False,
    extras: dict[str, Any] | None = None,
    compare: Any = None,
    query_row: int = 0,
    title: str | None = None,
    seed: int = 0,
) -> Explorer:
    """The interactive explorer of attention as one self-contained offline HTML page: the
    matrix, head view, model view (layers x heads), rollout and comparison of ``web/visualizer``.

    Args:
        source: a mechanism, or weights ``(n,)``, ``(m, n)``, ``(heads, m, n)`` or
            ``(layers, heads, m, n)`` (e.g. a model's attention maps).
        queries, keys: the mechanism's inputs (queries default to the keys). Without keys,
            ``tokens`` become hashed vectors (:func:`token_vectors`; for hyperbolic
            mechanisms scaled to norm ``0.3/√c``, inside the ball).
        tokens: labels of the keys (and of the queries, when they are the keys).
        mask, causal, extras: passed to the mechanism's weights (a key mask ``(n,)`` is
            also drawn as hidden cells).
        compare: a second mechanism run on the same input, or weights of the same shape: the
            compare tab shows both (mean over heads) and their difference.
        query_row: the query the Poincaré disk shows.

    For a mechanism the page also shows what only it computes: hyperbolic and
    mixed_curvature on the Poincaré disk, moe's routing, centroid_ot's transport plan, the
    graph mechanisms as a graph, topology_gated's modes over a sliding window; and for every
    mechanism the geometry report of the keys.

    >>> page = explore([[0.9, 0.1], [0.3, 0.7]], x_labels=["a", "b"]).html
    >>> page.startswith("<!doctype html>") and "ra-visualizer/standalone.mjs" in page
    True
    """
    attn = source if isinstance(source, Attention) else None
    q = k = None
    default_x = default_y = None
    if attn is not None:
        if keys is None and tokens is None:
            raise InvalidInputError("explore(mechanism) needs keys (and queries) or tokens")
        k = check.as_array(_token_keys(attn, tokens, seed) if keys is None else keys, "keys")
        q = k if queries is None else check.as_array(queries, "queries")
        default_x, default_y = tokens, (tokens if queries is None else None)

        def run(mechanism: Attention) -> np.ndarray:
            return mechanism.head_weights_batch(q, k, mask, causal=causal, **(extras or {}))

        w = _stack(run(attn), "weights")
        name = f"{attn.name} · {len(q)} × {len(k)} · {attn.complexity}"
    else:
        w = _stack(source, "weights")
        name = "attention weights"
    layers, heads, m, n = w.shape
    labels = _view_labels(
        x_labels if x_labels is not None else default_x, y_labels if y_labels is not None else default_y, n, m, query_row
    )
    title = title or name
    key_mask = None if mask is None or np.ndim(mask) != 1 else [bool(x) for x in np.asarray(mask).ravel()]
    data: dict[str, Any] = {
        "title": title, "complexity": attn.complexity if attn else None, "xLabels": labels["x"], "yLabels": labels["y"],
        "mask": key_mask, "causal": bool(causal), "weights": _encoded(w),
        "payloads": _special(attn, q, k, w[-1], labels) if attn else [],
    }
    if compare is not None:
        other = _stack(run(compare) if attn is not None and isinstance(compare, Attention) else compare, "compare")
        if other.shape[2:] != (m, n):
            raise DimensionMismatchError(f"compare has {other.shape[2:]} weights, the source {(m, n)}",
                                         expected=m * n, actual=other.shape[2] * other.shape[3])
        data["compare"] = {
            "a": _encoded(w[-1].mean(axis=0)), "b": _encoded(other[-1].mean(axis=0)),
            "titleA": attn.name if attn else "weights",
            "titleB": compare.name if isinstance(compare, Attention) else "compared",
        }
    if w.size <= _FALLBACK_CELLS:
        svg = heatmap(w.reshape(-1, m, n), labels["x"], labels["y"], title=title).svg
        fallback = svg.replace(' xmlns="http://www.w3.org/2000/svg"', "")
    else:
        fallback = "<p>Scripts are off: this page needs JavaScript to show the attention explorer.</p>"
    return Explorer(_page(data, fallback, title), data, w)
