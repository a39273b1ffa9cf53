"""The WebAssembly SIMD kernels through the backend seam (``kernels/backend.py``): each
equals the NumPy path and a float64 formula, at sizes that are not multiples of the vector
width, with masks, causal order over global rows, rows that see nothing, and magnitudes from
denormals to 3e38. They run inside Pyodide (``node tests/pyodide/run.mjs``); on CPython only
the seam's own behaviour is checked (there is no WebAssembly engine to run the module)."""

from __future__ import annotations

import sys

import numpy as np
import pytest

import ruvector_attention as ra
from ruvector_attention.errors import InvalidConfigError
from ruvector_attention.kernels import backend, simd, use_backend
from ruvector_attention.kernels.dot import dot_attention
from ruvector_attention.kernels.masking import Visibility
from ruvector_attention.kernels.numeric import product
from ruvector_attention.kernels.softmax import masked_softmax
from ruvector_attention.kernels.wasm import MODULES

IN_PYODIDE = sys.platform == "emscripten"
needs_wasm = pytest.mark.skipif(not IN_PYODIDE, reason="the wasm kernels run inside Pyodide")
SIZES = (1, 3, 17, 129)


@pytest.fixture
def wasm():
    """Run the test with the wasm backend, then restore the previous choice."""
    previous = use_backend("wasm")
    assert backend() == "wasm"
    yield
    use_backend(previous)


def on_numpy(function, *args):
    """``function(*args)`` computed with the NumPy backend."""
    previous = use_backend("numpy")
    try:
        return function(*args)
    finally:
        use_backend(previous)


def test_the_seam_names_its_backend_and_rejects_unknown_ones():
    assert backend() in ("numpy", "wasm")
    with pytest.raises(InvalidConfigError, match="one of"):
        use_backend("gpu")
    previous = use_backend("numpy")
    try:
        assert backend() == "numpy"
    finally:
        use_backend(previous)


@pytest.mark.parametrize("module", sorted(MODULES.values()))
def test_the_package_carries_the_simd_modules(module):
    """The wheel (and the sdist it is built from) ship attention.wasm and its relaxed-SIMD
    build, WebAssembly side modules (the ``dylink.0`` section is what Pyodide's dynamic
    linker reads) naming the exports kernels/wasm.py calls."""
    from importlib.resources import files

    data = (files("ruvector_attention.kernels") / module).read_bytes()
    assert data[:8] == b"\0asm\x01\0\0\0"
    assert data[8:19] == b"\0\x0f\x08dylink.0"
    for name in (b"memory", b"sgemm", b"dgemm", b"softmax_rows", b"attention", b"all_finite", b"scratch_floats"):
        assert name in data


@pytest.mark.skipif(IN_PYODIDE, reason="CPython has no wasm engine for the kernels")
def test_cpython_computes_with_numpy_and_says_why():
    assert backend() == "numpy"
    assert "Pyodide" in ra.kernels.failure()
    with pytest.raises(InvalidConfigError, match="not available"):
        use_backend("wasm")


RELAXED_PROBE = bytes.fromhex(
    "0061736d01000000"  # the header
    "010401600000"  # one type: () -> ()
    "03020100"  # one function of it
    "0a140112004100fd114100fd114100fd11fd85021a0b"  # its body: three i32x4.splat(0), f32x4.relaxed_madd, drop
)
"""The smallest module with a relaxed-SIMD instruction, assembled by hand: an engine with
relaxed SIMD validates it, one without does not."""


@needs_wasm
def test_the_relaxed_build_computes_exactly_where_the_engine_has_relaxed_simd(wasm):
    import js  # type: ignore[import-not-found]
    from pyodide.ffi import to_js  # type: ignore[import-not-found]

    has_relaxed = bool(js.WebAssembly.validate(to_js(RELAXED_PROBE)))
    assert simd() == ("relaxed" if has_relaxed else "simd128")


def test_no_simd_build_computes_on_numpy():
    assert on_numpy(simd) is None


def test_the_simd_build_is_read_from_the_environment(monkeypatch):
    from ruvector_attention.kernels.backend import SIMD_BUILDS, SIMD_ENVIRONMENT, _requested

    monkeypatch.setenv(SIMD_ENVIRONMENT, " SIMD128 ")
    assert _requested(SIMD_ENVIRONMENT, SIMD_BUILDS) == "simd128"
    monkeypatch.setenv(SIMD_ENVIRONMENT, "avx512")
    with pytest.warns(UserWarning, match="RUVECTOR_SIMD='avx512' is not one of auto, simd128"):
        assert _requested(SIMD_ENVIRONMENT, SIMD_BUILDS) == "auto"


@needs_wasm
def test_the_simd128_build_can_be_chosen_and_agrees_with_the_loaded_one(wasm, rng):
    from ruvector_attention.kernels.backend import wasm_kernels
    from ruvector_attention.kernels.wasm import load

    chosen, loaded = load("simd128"), wasm_kernels()
    assert chosen.simd == "simd128"
    q, k, v = (rng.normal(size=(rows, 33)).astype(np.float32) for rows in (20, 300, 300))
    np.testing.assert_allclose(
        chosen.attention(q, k, v, 0.2, None, None), loaded.attention(q, k, v, 0.2, None, None), rtol=1e-5, atol=1e-6
    )


@needs_wasm
@pytest.mark.parametrize("m", SIZES)
@pytest.mark.parametrize("k", (3, 129))
@pytest.mark.parametrize("n", SIZES)
def test_sgemm_equals_float64(wasm, rng, m, k, n):
    a = rng.normal(size=(m, k)).astype(np.float32)
    b = rng.normal(size=(k, n)).astype(np.float32)
    bound = np.abs(a).astype(np.float64) @ np.abs(b)  # |error| <= k·eps·Σ|a||b|
    for right in (b, np.ascontiguousarray(b.T).T):  # a contiguous matrix and a transposed view
        out = np.asarray(product(a, right))
        assert out.dtype == np.float32 and out.shape == (m, n)
        assert np.all(np.abs(out - a.astype(np.float64) @ b) <= 1e-6 * k * bound + 1e-30)


@needs_wasm
def test_batched_sgemm_with_a_shared_operand(wasm, rng):
    a = rng.normal(size=(3, 17, 33)).astype(np.float32)
    b = rng.normal(size=(33, 129)).astype(np.float32)
    keys = rng.normal(size=(3, 129, 33)).astype(np.float32)
    np.testing.assert_allclose(product(a, b), a.astype(np.float64) @ b, rtol=1e-5, atol=1e-5)
    scores = product(a, np.swapaxes(keys, 1, 2))
    np.testing.assert_allclose(scores, a.astype(np.float64) @ np.swapaxes(keys, 1, 2), rtol=1e-5, atol=1e-5)


@needs_wasm
@pytest.mark.parametrize("m,k,n", [(1, 129, 129), (129, 1, 129), (129, 129, 3), (3, 129, 129), (17, 257, 17), (300, 600, 7)])
def test_dgemm_equals_float64(wasm, rng, m, k, n):
    """The float64 products (Gram matrices of the distance mechanisms, hyperbolic's weighted
    sums) run in the kernels' f64x2 GEMM: within k·eps·Σ|a||b| of NumPy's float64 product,
    for a contiguous B and a transposed view, at sizes off the vector width and past its
    block depth (256)."""
    from ruvector_attention.kernels.backend import wasm_kernels

    a, b = rng.normal(size=(m, k)), rng.normal(size=(k, n))
    bound = np.abs(a) @ np.abs(b)
    for right in (b, np.ascontiguousarray(b.T).T):
        out = wasm_kernels().matmul(a, right)
        assert out is not None and out.dtype == np.float64 and out.shape == (m, n)
        assert np.all(np.abs(out - a @ b) <= 4 * k * np.finfo(np.float64).eps * bound)


@needs_wasm
def test_batched_and_strided_dgemm(wasm, rng):
    """Stacks with an operand shared by the batch, keys as a transposed stack, and column
    slices (mixed_curvature's subspaces), against NumPy's float64 product."""
    a, b = rng.normal(size=(3, 17, 33)), rng.normal(size=(33, 129))
    keys = rng.normal(size=(3, 129, 33))
    np.testing.assert_allclose(product(a, b), a @ b, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(product(a, np.swapaxes(keys, 1, 2)), a @ np.swapaxes(keys, 1, 2), rtol=1e-12, atol=1e-12)
    wide_q, wide_k = rng.normal(size=(40, 96)), rng.normal(size=(300, 96))
    q, k = wide_q[:, 16:80], wide_k[:, 16:80]  # strided: neither contiguous nor a transpose
    np.testing.assert_allclose(product(q, k.T), q @ k.T, rtol=1e-12, atol=1e-12)


def _mask(rng, m, n):
    mask = rng.random((m, n)) < 0.7
    mask[0] = False  # a row that sees nothing
    return mask


@needs_wasm
@pytest.mark.parametrize("m,n", [(1, 129), (3, 17), (17, 257), (129, 33), (4, 1024)])
@pytest.mark.parametrize("magnitude", [1e-40, 1e-20, 1.0, 30.0, 1e20, 3e38])
def test_row_softmax_equals_numpy_at_every_magnitude(wasm, rng, m, n, magnitude):
    scores = np.clip(rng.normal(size=(2, m, n)) * magnitude, -3e38, 3e38).astype(np.float32)
    mask = _mask(rng, m, n)
    out = masked_softmax(scores.copy(), mask)
    expected = on_numpy(masked_softmax, scores.copy(), mask)
    assert out.dtype == np.float32 and np.isfinite(out).all()
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-37)
    assert np.all(out[:, ~mask] == 0) and np.all(out[:, 0] == 0)
    np.testing.assert_allclose(out[:, 1:].sum(axis=-1)[mask[1:].any(axis=1)[None].repeat(2, 0)], 1.0, rtol=1e-5)


def _vis(rng, m, n, *, masked, causal, offset=0, total=None):
    mask = _mask(rng, m, n) if masked else None
    vis = Visibility(m, n, mask, causal)
    return vis.rows_of(offset, total or m) if causal else vis


@needs_wasm
@pytest.mark.parametrize("m,n,d", [(1, 1, 1), (3, 17, 3), (17, 129, 17), (129, 300, 33), (5, 1000, 64)])
@pytest.mark.parametrize("masked", [False, True])
@pytest.mark.parametrize("causal", [False, True])
def test_fused_attention_equals_the_dense_numpy_path(wasm, rng, m, n, d, masked, causal):
    q = rng.normal(size=(m, d)).astype(np.float32)
    k = rng.normal(size=(n, d)).astype(np.float32)
    v = rng.normal(size=(n, 7)).astype(np.float32)
    # a slice of a larger batch: global rows 2..2+m of m+5, bottom-right causal order
    vis = _vis(rng, m, n, masked=masked, causal=causal, offset=2, total=m + 5)
    scale = 1.0 / np.sqrt(d)
    out = dot_attention(q, k, v, scale, vis)
    expected = on_numpy(dot_attention, q, k, v, scale, vis)
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=2e-6)
    blind = vis.blind_rows()
    if blind is not None:
        assert np.all(out[blind] == 0)


@needs_wasm
@pytest.mark.parametrize("magnitude", [1e-40, 1e-19, 1e-3, 1.0, 1e10, 1e19, 3e38])
def test_fused_attention_stays_finite_and_exact_at_extreme_magnitudes(wasm, rng, magnitude):
    q = np.clip(rng.normal(size=(17, 16)) * magnitude, -3e38, 3e38).astype(np.float32)
    k = np.clip(rng.normal(size=(129, 16)) * magnitude, -3e38, 3e38).astype(np.float32)
    v = np.clip(rng.normal(size=(129, 3)) * magnitude, -3e38, 3e38).astype(np.float32)
    vis = _vis(rng, 17, 129, masked=True, causal=True)
    out = np.asarray(dot_attention(q, k, v, 0.25, vis), dtype=np.float64)
    expected = np.asarray(on_numpy(dot_attention, q, k, v, 0.25, vis), dtype=np.float64)
    assert np.isfinite(out).all()
    tiny = 64 * float(np.finfo(np.float32).smallest_subnormal)  # denormal outputs: a few steps
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-6 * magnitude + tiny)


@needs_wasm
def test_operands_are_read_where_numpy_holds_them(wasm, rng):
    """The kernels share Pyodide's memory: read-only arrays (as the JS bridge's uploads),
    views at an offset into a larger buffer, and new arrays that reuse a dead one's address
    all give NumPy's result."""
    q = rng.normal(size=(9, 16)).astype(np.float32)
    vis = Visibility(9, 200)
    for _ in range(3):
        k = rng.normal(size=(200, 16)).astype(np.float32)
        v = rng.normal(size=(200, 5)).astype(np.float32)
        k.flags.writeable = v.flags.writeable = False
        expected = on_numpy(dot_attention, q, k, v, 0.25, vis)
        for _ in range(2):
            np.testing.assert_allclose(dot_attention(q, k, v, 0.25, vis), expected, rtol=1e-5, atol=2e-6)
        np.testing.assert_allclose(dot_attention(q, k * 2, v, 0.25, vis), on_numpy(dot_attention, q, k * 2, v, 0.25, vis), rtol=1e-5, atol=2e-6)
        del k, v  # the next round's arrays may reuse their ids and addresses
    shifted = rng.normal(size=(201, 16)).astype(np.float32)[1:]  # starts 64 bytes into its buffer
    np.testing.assert_allclose(
        dot_attention(q, shifted, shifted[:, :5], 0.25, vis), on_numpy(dot_attention, q, shifted, shifted[:, :5], 0.25, vis),
        rtol=1e-5, atol=2e-6,
    )


@needs_wasm
def test_the_finite_test_takes_float32_and_finds_every_non_finite(wasm, rng):
    from ruvector_attention.kernels.numeric import finite

    x = rng.normal(size=1001).astype(np.float32)
    x[::7] = np.float32(3.4e38)  # a sum would overflow: the test is exact
    assert finite(x) and finite(x[None])
    for bad in (np.nan, np.inf, -np.inf):
        for at in (0, 3, 1000):
            y = x.copy()
            y[at] = bad
            assert not finite(y)


@needs_wasm
@pytest.mark.parametrize(
    "name,options",
    [
        ("scaled_dot", {"dim": 32}),
        ("multi_head", {"dim": 32, "num_heads": 4}),
        ("flash", {"dim": 32, "block_size": 16}),
        ("hyperbolic", {"dim": 32, "curvature": -0.5}),
        ("mixed_curvature", {"euclidean_dim": 16, "hyperbolic_dim": 8, "spherical_dim": 8}),
        ("sliced_wasserstein", {"dim": 32}),
        ("centroid_ot", {"dim": 32}),
    ],
)
def test_mechanisms_equal_across_backends(wasm, rng, name, options):
    attn = ra.create(name, **options)
    q, k, v = (rng.normal(size=(rows, 32)).astype(np.float32) for rows in (40, 300, 300))
    mask = _mask(rng, 40, 300)
    for kwargs in ({}, {"causal": True, "rows": (100, 400)}):
        out = attn.compute_batch(q, k, v, mask, **kwargs)
        expected = on_numpy(lambda: attn.compute_batch(q, k, v, mask, **kwargs))
        np.testing.assert_allclose(out, expected, rtol=1e-5, atol=2e-6)
        weights = attn.weights_batch(q, k, mask, **kwargs)
        np.testing.assert_allclose(weights, on_numpy(lambda: attn.weights_batch(q, k, mask, **kwargs)), rtol=1e-5, atol=1e-7)
        seen = weights.sum(axis=1) > 0
        np.testing.assert_allclose(weights.sum(axis=1)[seen], 1.0, rtol=1e-5)


@needs_wasm
@pytest.mark.parametrize("n", SIZES + (600,))
@pytest.mark.parametrize("masked", [False, True])
def test_the_fused_kernels_partial_equals_numpys(wasm, rng, n, masked):
    """The statistics the kernel returns with its output (μ, ℓ, a = out·ℓ) are the NumPy
    partial's, a blind chunk included."""
    from ruvector_attention.kernels.partials import attention_partial

    q, k, v = (rng.normal(size=shape).astype(np.float32) for shape in ((1, 16), (n, 16), (n, 5)))
    mask = (rng.random((1, n)) > 0.4) if masked else None
    if masked and n == 1:
        mask[:] = False  # a chunk with nothing visible
    fused = attention_partial(q, k, v, 0.25, mask)
    plain = on_numpy(attention_partial, q, k, v, 0.25, mask)
    for got, expected in zip(fused, plain):
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
