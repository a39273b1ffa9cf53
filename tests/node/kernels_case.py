"""One case for the WebAssembly kernels across runtimes: run by a Node worker's Pyodide
(tests/node/wasm-kernels.test.mjs), a Chromium worker's Pyodide (e2e/wasm-kernels.spec.mjs)
and CPython, which must agree. ``RESULT`` (also the last expression, which Pyodide's
``runPython`` returns) is JSON: the backend and SIMD build in use and the outputs of scaled_dot,
multi_head and flash (masked, causal over global rows, with a query that sees nothing)."""

import json

import numpy as np

import ruvector_attention as ra

rng = np.random.default_rng(7)
q, k, v = (rng.standard_normal((rows, 32)).astype(np.float32) for rows in (50, 333, 333))
mask = rng.random((50, 333)) < 0.8
mask[3] = False
out = {"backend": ra.kernels.backend(), "simd": ra.kernels.simd()}
for name, options in (("scaled_dot", {}), ("multi_head", {"num_heads": 4}), ("flash", {})):
    attn = ra.create(name, dim=32, **options)
    out[name] = attn.compute_batch(q, k, v, mask, causal=True, rows=(10, 80)).ravel().tolist()
    out[name + "_weights"] = attn.weights_batch(q, k, mask).ravel().tolist()
RESULT = json.dumps(out)
RESULT  # noqa: B018  # the value runPython returns
