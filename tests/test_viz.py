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
