"""The command line, run in-process (argument parsing to output)."""

from __future__ import annotations

import base64
import json

import numpy as np

import ruvector_attention as ra
from ruvector_attention.cli import main


def test_info_lists_every_mechanism(capsys):
    assert main(["info"]) == 0
    out = capsys.readouterr().out
    assert all(name in out for name in ra.mechanisms())


def test_compare_runs_every_mechanism(capsys):
    assert main(["compare", "--dim", "12", "--keys", "10", "--queries", "3", "--iterations", "1"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert {line.split()[0] for line in lines[3:]} == set(ra.mechanisms())


def test_bench_json(capsys):
    assert main(["bench", "--mechanism", "flash", "scaled-dot", "--keys", "50", "--dim", "16",
                 "--iterations", "2", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["mechanism"] for r in rows] == ["flash", "scaled_dot"]
    assert all(r["median_ms"] > 0 and r["keys"] == 50 for r in rows)


def test_visualize_writes_heatmap(tmp_path, capsys):
    out = tmp_path / "w.html"
    assert main(["visualize", "--mechanism", "multi_head", "--tokens", "a b c", "--out", str(out)]) == 0
    page = out.read_text()
    assert page.count("<title>") >= 4 * 9 and "head 3" in page
    # the interactive explorer, with the heatmap kept for viewers without scripts
    assert 'id="ra-explorer-data"' in page and "<noscript><svg" in page
    assert "wrote" in capsys.readouterr().out


def test_visualize_explorer_holds_the_mechanisms_weights(tmp_path):
    out = tmp_path / "x.html"
    assert main(["visualize", "--mechanism", "centroid_ot", "--tokens", "a b c d", "--dim", "8", "--seed", "3",
                 "--compare", "scaled_dot", "--out", str(out)]) == 0
    page = out.read_text()
    start = page.index('id="ra-explorer-data">') + len('id="ra-explorer-data">')
    data = json.loads(page[start : page.index("</script>", start)])
    x = ra.viz.token_vectors(["a", "b", "c", "d"], 8, seed=3)
    want = ra.create("centroid_ot", dim=8, seed=3).head_weights_batch(x, x)
    got = np.frombuffer(base64.b64decode(data["weights"]["b64"]), dtype="<f4").reshape(data["weights"]["shape"])
    np.testing.assert_array_equal(got[0], want)  # (layers, heads, m, n), one layer
    assert data["xLabels"] == ["a", "b", "c", "d"]
    assert [p["view"] for p in data["payloads"]] == ["transport", "report"]
    assert (data["compare"]["titleA"], data["compare"]["titleB"]) == ("centroid_ot", "scaled_dot")


def test_visualize_svg_is_the_heatmap(tmp_path):
    out = tmp_path / "w.svg"
    assert main(["visualize", "--tokens", "a b", "--out", str(out)]) == 0
    assert out.read_text().startswith("<svg")


def test_errors_exit_2(capsys):
    assert main(["bench", "--mechanism", "nope", "--iterations", "1"]) == 2
    assert "UnknownMechanismError" in capsys.readouterr().err
