"""Fixtures of e2e/views.spec.mjs, written into the folder given as argv[1]: explorer pages
written by ``ra.viz.explore``, array files written by NumPy, the inputs of the runtime
test, and the numbers every view must show, computed here by other means (the Poincaré
distance formula, Sinkhorn's plan from its potentials, a direct coherence and gating
oracle, the mechanisms' public methods)."""

from __future__ import annotations

import json
import math
import pathlib
import sys

import numpy as np

import ruvector_attention as ra
from ruvector_attention.kernels import poincare
from ruvector_attention.kernels.transport import log_sinkhorn

OUT = pathlib.Path(sys.argv[1])
OUT.mkdir(parents=True, exist_ok=True)
TOKENS = "the cat sat on the mat because it was warm".split()
N = len(TOKENS)
rng = np.random.default_rng(7)


def floats(x):
    return np.asarray(x, dtype=np.float64).tolist()


def unit_rows(dim, norms):
    x = rng.standard_normal((len(norms), dim))
    return (x / np.linalg.norm(x, axis=1, keepdims=True) * np.asarray(norms)[:, None]).astype(np.float32)


expected: dict = {"tokens": TOKENS}

# -- hyperbolic: norms up to 1.0, past the ball's radius 1/√2, so the last keys are projected
C, ROW = 2.0, 3
hyp_keys = unit_rows(8, np.linspace(0.05, 1.0, N))
hyp = ra.create("hyperbolic", dim=8, curvature=-C)
ra.viz.explore(hyp, keys=hyp_keys, tokens=TOKENS, query_row=ROW, compare=ra.create("scaled_dot", dim=8)).save(OUT / "hyperbolic.html")
ball = poincare.project(hyp_keys.astype(np.float64), C)
distance = poincare.distance(np.zeros_like(ball), ball, C)  # d_c(0, x), the Möbius formula
expected["hyperbolic"] = {
    "keys": floats(hyp_keys), "curvature": -C, "row": ROW,
    "radius": floats(np.tanh(math.sqrt(C) * distance / 2)),
    "weights": floats(hyp.weights(hyp_keys[ROW], hyp_keys)),
    "maskedWeights": floats(hyp.weights(hyp_keys[0], hyp_keys, np.arange(N) != 2)),
    "matrix": floats(hyp.weights_batch(hyp_keys, hyp_keys)),
    "compared": floats(ra.create("scaled_dot", dim=8).weights_batch(hyp_keys, hyp_keys)),
}

# -- mixed_curvature: the hyperbolic slice [4:8] of [E 4 | H 4 | S 4]
mixed = ra.create("mixed_curvature", euclidean_dim=4, hyperbolic_dim=4, spherical_dim=4, curvature_h=-1.0)
mixed_keys = np.concatenate([rng.standard_normal((N, 4)) / 2, unit_rows(4, np.linspace(0.1, 0.9, N)),
                             rng.standard_normal((N, 4)) / 2], axis=1).astype(np.float32)
slice_ball = poincare.project(mixed_keys[:, 4:8].astype(np.float64), 1.0)
expected["mixed_curvature"] = {
    "keys": floats(mixed_keys), "row": 0,
    "radius": floats(np.tanh(poincare.distance(np.zeros_like(slice_ball), slice_ball, 1.0) / 2)),
    "weights": floats(mixed.weights(mixed_keys[0], mixed_keys)),
}

# -- moe with a small capacity, so that the batch reroutes
moe_keys = (rng.standard_normal((N, 16)) / 4).astype(np.float32)
moe = ra.create("moe", dim=16, expert_capacity=0.5)
ra.viz.explore(moe, keys=moe_keys, tokens=TOKENS).save(OUT / "moe.html")
batch = ra.create("moe", dim=16, expert_capacity=0.5)
batch.compute_batch(moe_keys, moe_keys, moe_keys)
expected["moe"] = {
    "keys": floats(moe_keys),
    "routing": [[[e, g] for e, g in moe.routing(q)] for q in moe_keys],
    "capacity": math.ceil(0.5 * N * 2 / 4), "tokensPerExpert": batch.last_stats["tokens_per_expert"],
    "rerouted": batch.last_stats["rerouted"],
    "report": ra.ReportBuilder().analyze_keys(moe_keys).build().to_dict(),
}

# -- centroid_ot: the plan from Sinkhorn's potentials, exp((f_i + g_j - C_ij)/ε)
ot_keys = (rng.standard_normal((N, 8)) / 3).astype(np.float32)
ot = ra.create("centroid_ot", dim=8, num_centroids=4)
ra.viz.explore(ot, keys=ot_keys, tokens=TOKENS).save(OUT / "centroid_ot.html")
solved = ot.transport(ot_keys)
centroids, counts = solved.clusters.centroids, solved.clusters.counts
cost = ((ot_keys.astype(np.float64)[:, None, :] - centroids[None]) ** 2).sum(-1)
plan = log_sinkhorn(np.full(N, 1 / N), counts / N, cost / cost.max(), 0.1, 50).plan
# the runtime test finds clusters by their columns of weights: order them by first member
order = np.argsort([np.flatnonzero(solved.clusters.labels == j)[0] for j in range(len(counts))])
expected["centroid_ot"] = {"keys": floats(ot_keys), "plan": floats(plan), "masses": floats(counts / N),
                           "planByFirstMember": floats(plan[:, order])}

# -- diffusion drawn as a graph
graph_keys = (rng.standard_normal((N, 8)) / 3).astype(np.float32)
diffusion = ra.create("diffusion", dim=8)
ra.viz.explore(diffusion, keys=graph_keys, tokens=TOKENS).save(OUT / "diffusion.html")
expected["diffusion"] = {"keys": floats(graph_keys), "weights": floats(diffusion.weights_batch(graph_keys, graph_keys))}

# -- topology_gated: six near-copies of one key (coherent), then four random ones
WINDOW, K_NEIGHBORS = 4, 2
base = rng.standard_normal(8)
topo_keys = np.concatenate([base + 0.01 * rng.standard_normal((6, 8)), 3 * rng.standard_normal((4, 8))]).astype(np.float32)
topo_config = {"dim": 8, "window": WINDOW, "k_neighbors": K_NEIGHBORS}
ra.viz.explore(ra.create("topology_gated", **topo_config), keys=topo_keys, tokens=TOKENS).save(OUT / "topology_gated.html")


def coherence(window: np.ndarray) -> float:
    """similarity_variance, directly: cosines to each key's k nearest others."""
    w = len(window)
    if w < 2:
        return 1.0
    x = window.astype(np.float64)
    d2 = ((x[:, None] - x[None]) ** 2).sum(-1) + np.diag(np.full(w, np.inf))
    near = np.argsort(d2, axis=1, kind="stable")[:, : min(K_NEIGHBORS, w - 1)]
    u = x / np.linalg.norm(x, axis=1, keepdims=True)
    cos = np.clip(np.einsum("id,ikd->ik", u, u[near]), -1, 1)
    return max(cos.mean(), 0.0) * (1 - cos.std())


def modes(values, stable=0.8, freeze=0.3, margin=0.05):
    """The gating policy: thresholds, then hysteresis between levels."""
    def raw(c):
        return 2 if c >= stable else 1 if c >= freeze else 0
    out, mode = [], None
    for c in values:
        r = raw(c)
        if mode is None or r == mode:
            mode = r
        elif r > mode and raw(c - margin) > mode:
            mode = raw(c - margin)
        elif r < mode and raw(c + margin) < mode:
            mode = raw(c + margin)
        out.append(["freeze", "cautious", "stable"][mode])
    return out


topo_coherence = [coherence(topo_keys[: t + 1][-WINDOW:]) for t in range(N)]
expected["topology_gated"] = {"keys": floats(topo_keys), "config": topo_config,
                              "coherence": topo_coherence, "modes": modes(topo_coherence)}

# -- array files written by NumPy
A = (np.arange(12, dtype=np.float64).reshape(3, 4) - 5) / 7
np.save(OUT / "c_f4.npy", A.astype("<f4"))
np.save(OUT / "fortran_be_f8.npy", np.asfortranarray(A.astype(">f8")))
np.save(OUT / "int16.npy", (np.arange(6) - 3).reshape(2, 3).astype("<i2"))
with open(OUT / "v2.npy", "wb") as f:
    np.lib.format.write_array(f, A.astype("<f4"), version=(2, 0))
with open(OUT / "v3.npy", "wb") as f:
    np.lib.format.write_array(f, A.astype("<f4"), version=(3, 0))
np.savez(OUT / "stored.npz", first=A, second=-A.T)
np.savez_compressed(OUT / "deflated.npz", first=A.astype(np.float32))
np.save(OUT / "complex.npy", A.astype(np.complex64))
(OUT / "truncated.npy").write_bytes((OUT / "c_f4.npy").read_bytes()[:-6])
expected["files"] = {"A": floats(A), "int16": floats((np.arange(6) - 3).reshape(2, 3))}

(OUT / "expected.json").write_text(json.dumps(expected))

# -- what a notebook shows: the explorer's output in a notebook (an iframe with srcdoc)
(OUT / "notebook-output.html").write_text(
    ra.viz.explore(ra.create("hyperbolic", dim=8, curvature=-C), keys=hyp_keys, tokens=TOKENS)._repr_html_(),
    encoding="utf-8",
)
