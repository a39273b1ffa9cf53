"""ra.viz: the SVG is well-formed, complete and its colours follow the values."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import ruvector_attention as ra

SVG = "{http://www.w3.org/2000/svg}"


def _cells(svg: str):
    root = ET.fromstring(svg)
    return [r for r in root.iter(SVG + "rect") if r.find(SVG + "title") is not None]


def test_one_cell_per_weight_with_exact_tooltips(rng):
    w = rng.dirichlet(np.ones(5), size=(2, 3)).astype(np.float32)
    h = ra.viz.heatmap(w, list("abcde"), ["x", "y", "z"])
    cells = _cells(h.svg)
    assert len(cells) == w.size
    titles = [c.find(SVG + "title").text for c in cells]
    assert titles[0] == f"x → a: {w[0, 0, 0]:.4f}"
    assert "head 1" in h.svg and h._repr_html_() == h.svg
    assert "<script" not in h.svg and "http" not in h.svg.replace("http://www.w3.org/2000/svg", "")


def test_brightest_cell_is_the_largest_weight(rng):
    w = rng.random((4, 6))
    cells = _cells(ra.viz.heatmap(w).svg)
    luminance = [sum(int(c) for c in re.findall(r"\d+", cell.get("fill"))) for cell in cells]
    assert int(np.argmax(luminance)) == int(np.argmax(w))
    assert int(np.argmin(luminance)) == int(np.argmin(w))


def test_labels_are_escaped_and_checked():
    h = ra.viz.heatmap([0.5, 0.5], ["<b>", "&"])
    assert "&lt;b&gt;" in h.svg and "&amp;" in h.svg
    ET.fromstring(h.svg)
    with pytest.raises(ra.DimensionMismatchError):
        ra.viz.heatmap([[0.5, 0.5]], ["a"])
    with pytest.raises(ra.InvalidInputError):
        ra.viz.heatmap(np.zeros((1, 1, 1, 1)))


def test_save_svg_and_html(tmp_path):
    h = ra.viz.heatmap([[1.0, 0.0]])
    h.save(tmp_path / "w.svg")
    h.save(tmp_path / "w.html")
    assert (tmp_path / "w.svg").read_text().startswith("<svg")
    page = (tmp_path / "w.html").read_text()
    assert page.startswith("<!doctype html>") and h.svg in page


def test_token_vectors_are_stable():
    a = ra.viz.token_vectors(["cat", "dog", "cat"], 8, seed=1)
    assert a.dtype == np.float32 and a.shape == (3, 8)
    np.testing.assert_array_equal(a[0], a[2])
    assert not np.array_equal(a, ra.viz.token_vectors(["cat", "dog", "cat"], 8, seed=2))


# ---------------------------------------------------------------------------- the explorer

import base64  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
from html import unescape  # noqa: E402

from ruvector_attention.kernels.transport import log_sinkhorn  # noqa: E402

from .conftest import build  # noqa: E402

TOKENS = "the cat sat on the mat because it was warm".split()


def _data(page: str) -> dict:
    start = page.index('<script type="application/json" id="ra-explorer-data">')
    body = page[page.index(">", start) + 1 : page.index("</script>", start)]
    return json.loads(body)


def _weights(data: dict) -> np.ndarray:
    return np.frombuffer(base64.b64decode(data["weights"]["b64"]), dtype="<f4").reshape(data["weights"]["shape"])


def _modules(page: str) -> dict[str, str]:
    start = page.index('<script type="importmap">') + len('<script type="importmap">')
    imports = json.loads(page[start : page.index("</script>", start)])["imports"]
    prefix = "data:text/javascript;base64,"
    assert all(url.startswith(prefix) for url in imports.values())
    return {name: base64.b64decode(url[len(prefix) :]).decode() for name, url in imports.items()}


def test_explore_is_one_offline_page_embedding_the_exact_weights(rng):
    attn = ra.create("multi_head", dim=16, num_heads=4)
    keys = rng.standard_normal((6, 16)).astype(np.float32)
    page = ra.viz.explore(attn, keys=keys, tokens=list("abcdef")).html
    assert page.startswith("<!doctype html>")
    assert "http://" not in page and "https://" not in page
    modules = _modules(page)
    remote = re.compile(r"https?://(?!www\.w3\.org/2000/svg)")  # the SVG namespace is a name, not a fetch
    assert not any(remote.search(text) for text in modules.values())
    data = _data(page)
    assert data["weights"]["shape"] == [1, 4, 6, 6]  # (layers, heads, m, n)
    np.testing.assert_array_equal(_weights(data)[0], attn.head_weights_batch(keys, keys))
    assert data["xLabels"] == data["yLabels"] == list("abcdef")
    assert [p["view"] for p in data["payloads"]] == ["report"]
    assert "<noscript><svg" in page  # the heatmap, for viewers without scripts


def test_every_relative_import_is_inlined():
    modules = _modules(ra.viz.explore([[0.25, 0.75]]).html)
    assert "ra-visualizer/standalone.mjs" in modules and "ra-visualizer/special.mjs" in modules
    specifiers = [
        specifier for text in modules.values()
        for specifier in re.findall(r"""^\s*(?:import|export)\b[^;'"]*?\bfrom\s*["']([^"']+)["']""", text, re.M)
    ]
    assert len(specifiers) >= len(modules) - 1  # every module but the leaves is imported from somewhere
    assert all(specifier in modules for specifier in specifiers), specifiers
    assert not any(re.search(r"""\bfrom\s*["']\.""", text) for text in modules.values())


def test_labels_cannot_close_the_script():
    page = ra.viz.explore([[0.5, 0.5]], x_labels=["</script><script>alert(1)//", "b"]).html
    assert "</script><script>alert" not in page
    assert _data(page)["xLabels"][0] == "</script><script>alert(1)//"


def test_weights_of_any_rank_and_typed_errors(rng):
    for shape in [(5,), (3, 5), (2, 3, 5), (4, 2, 3, 5)]:
        w = rng.random(shape).astype(np.float32)
        data = _data(ra.viz.explore(w).html)
        assert data["weights"]["shape"] == [1] * (4 - len(shape)) + list(shape)
        np.testing.assert_array_equal(_weights(data).reshape(shape), w)
        assert data["payloads"] == [] and "compare" not in data
    big = ra.viz.explore(np.full((150, 150), 1 / 150))  # 22 500 cells: no SVG copy
    assert "<noscript><p>" in big.html
    with pytest.raises(ra.InvalidInputError):
        ra.viz.explore(np.zeros((1, 1, 1, 1, 1)))
    with pytest.raises(ra.InvalidInputError, match="keys"):
        ra.viz.explore(ra.create("scaled_dot", dim=4))
    with pytest.raises(ra.InvalidInputError, match="query_row"):
        ra.viz.explore(ra.create("scaled_dot", dim=4), tokens=["a", "b"], query_row=2)
    with pytest.raises(ra.DimensionMismatchError):
        ra.viz.explore([[0.5, 0.5]], x_labels=["a"])


def test_notebook_output_and_save(tmp_path):
    page = ra.viz.explore([[0.9, 0.1]], x_labels=["a", "b"])
    frame = page._repr_html_()
    assert frame.startswith("<iframe srcdoc=") and 'sandbox="allow-scripts' in frame
    assert unescape(frame.split('srcdoc="', 1)[1].split('" sandbox', 1)[0]) == page.html
    page.save(tmp_path / "x.html")
    assert (tmp_path / "x.html").read_text(encoding="utf-8") == page.html
    assert page.heatmap().svg.startswith("<svg") and page.weights.shape == (1, 1, 1, 2)


def _payload(attn, keys, view, **kwargs):
    data = _data(ra.viz.explore(attn, keys=keys, tokens=[f"t{i}" for i in range(len(keys))], **kwargs).html)
    return next(p for p in data["payloads"] if p["view"] == view), data


def test_hyperbolic_payload_and_tokens_inside_the_ball(rng):
    attn = ra.create("hyperbolic", dim=8, curvature=-4.0)
    keys = (rng.standard_normal((10, 8)) / 4).astype(np.float32)
    disk, _ = _payload(attn, keys, "poincare", query_row=2)
    np.testing.assert_array_equal(np.float32(disk["weights"]), attn.weights(keys[2], keys))
    assert disk["curvature"] == -4.0 and disk["queryLabel"] == "t2"
    # the other queries to pick from, each with its row of weights
    assert [o["label"] for o in disk["others"]] == [f"t{i}" for i in range(10) if i != 2]
    batch = attn.weights_batch(keys, keys)
    for other in disk["others"]:
        r = int(other["label"][1:])
        np.testing.assert_array_equal(np.float32(other["weights"]), batch[r])
        np.testing.assert_array_equal(np.float32(other["query"]), keys[r])
    from_tokens = _data(ra.viz.explore(attn, tokens=TOKENS).html)["payloads"][0]
    norms = np.linalg.norm(np.reshape(from_tokens["keys"], (10, 8)), axis=1)
    assert norms.max() < 1 / math.sqrt(4.0)  # inside the ball, not at its rim


def test_mixed_curvature_shows_its_hyperbolic_slice(rng):
    attn = ra.create("mixed_curvature", euclidean_dim=2, hyperbolic_dim=3, spherical_dim=2, curvature_h=-0.5)
    keys = (rng.standard_normal((6, 7)) / 3).astype(np.float32)
    disk, _ = _payload(attn, keys, "poincare")
    assert disk["dim"] == 3 and disk["curvature"] == -0.5
    np.testing.assert_array_equal(np.reshape(disk["keys"], (6, 3)), keys[:, 2:5])


def test_routing_payload_is_routing_and_the_batch_stats(rng):
    attn = ra.create("moe", dim=8, expert_capacity=0.5)
    keys = (rng.standard_normal((10, 8)) / 3).astype(np.float32)
    routing, _ = _payload(attn, keys, "routing")
    for i, q in enumerate(keys):
        want = np.zeros(4)
        for e, g in attn.routing(q):
            want[e] = g
        np.testing.assert_array_equal(routing["gates"][i], want)
    fresh = ra.create("moe", dim=8, expert_capacity=0.5)
    fresh.compute_batch(keys, keys, keys)
    assert routing["batch"]["tokensPerExpert"] == fresh.last_stats["tokens_per_expert"]
    assert routing["batch"]["capacity"] == math.ceil(0.5 * 10 * 2 / 4)
    assert np.count_nonzero(routing["batch"]["gates"], axis=1).max() <= 2


def test_transport_payload_is_the_sinkhorn_plan(rng):
    attn = ra.create("centroid_ot", dim=6, num_centroids=3)
    keys = (rng.standard_normal((12, 6)) / 2).astype(np.float32)
    transport, _ = _payload(attn, keys, "transport")
    plan = np.array(transport["plan"])
    solved = attn.transport(keys)
    cost = ((keys.astype(np.float64)[:, None] - solved.clusters.centroids[None]) ** 2).sum(-1)
    oracle = log_sinkhorn(np.full(12, 1 / 12), solved.clusters.counts / 12, cost / cost.max(), 0.1, 50).plan
    np.testing.assert_allclose(plan, oracle, rtol=1e-9, atol=1e-15)
    np.testing.assert_allclose(plan.sum(axis=1), 1 / 12, rtol=1e-12)
    np.testing.assert_allclose(plan.sum(axis=0), transport["masses"], atol=1e-3)


def test_graph_and_topology_payloads(rng):
    keys = (rng.standard_normal((8, 8)) / 3).astype(np.float32)
    for name in ("edge_featured", "dual_space", "diffusion", "hnsw_aware", "structural"):
        graph, data = _payload(build(name, 8), keys, "graph")
        np.testing.assert_allclose(graph["weights"], _weights(data)[-1].mean(axis=0), rtol=1e-6)
    attn = ra.create("topology_gated", dim=8, window=3)
    topology, _ = _payload(attn, keys, "topology")
    assert [w["end"] for w in topology["windows"]] == list(range(8))
    fresh = ra.create("topology_gated", dim=8, window=3)
    for w, t in zip(topology["windows"], range(8)):
        assert w["coherence"] == fresh.coherence(keys[: t + 1])
        fresh.weights(keys[t], keys[: t + 1])
        assert w["mode"] == fresh.current_mode().value


def test_report_payload_says_why(rng):
    keys = (rng.standard_normal((20, 8))).astype(np.float32)
    report, _ = _payload(ra.create("scaled_dot", dim=8), keys, "report")
    want = ra.ReportBuilder().analyze_keys(keys).build().to_dict()
    assert {k: report[k] for k in want} == want
    assert report["why"]


def test_compare_and_key_mask(rng):
    keys = (rng.standard_normal((5, 8)) / 2).astype(np.float32)
    mask = np.array([True, True, False, True, True])
    a, b = ra.create("scaled_dot", dim=8), ra.create("linear", dim=8)
    data = _data(ra.viz.explore(a, keys=keys, tokens=list("abcde"), mask=mask, compare=b).html)
    assert data["mask"] == mask.tolist() and data["causal"] is False
    decoded = {side: np.frombuffer(base64.b64decode(data["compare"][side]["b64"]), "<f4").reshape(5, 5) for side in "ab"}
    np.testing.assert_array_equal(decoded["a"], a.weights_batch(keys, keys, mask))
    np.testing.assert_allclose(decoded["b"], b.weights_batch(keys, keys, mask), rtol=1e-6, atol=1e-7)
    assert (data["compare"]["titleA"], data["compare"]["titleB"]) == ("scaled_dot", "linear")
    with pytest.raises(ra.DimensionMismatchError):
        ra.viz.explore(np.eye(3), compare=np.eye(4))
