/* WebAssembly SIMD kernels of ruvector-attention-py, for Pyodide: built twice, for simd128
 * (attention.wasm) and with relaxed SIMD's fused multiply-adds (attention-relaxed.wasm).
 *
 * Why C: <wasm_simd128.h> gives every simd128 instruction as an intrinsic, clang
 * allocates the registers of the micro-kernels (which WAT would leave to us), and the
 * registries ship a complete C-to-wasm toolchain (PyPI `ziglang`: `zig cc`), so the
 * set-up compiles this file with `pip install` alone (scripts/build-kernels.sh).
 * AssemblyScript's SIMD API is thinner and its output larger; Zig would need the same
 * toolchain for no gain here.
 *
 * The module is an Emscripten side module (position-independent, with a `dylink.0`
 * section; it imports its memory): Pyodide's dynamic linker loads it into Pyodide's own
 * address space (`ctypes.CDLL`, see kernels/wasm.py), so the kernels read and write
 * NumPy's buffers where they lie, with no copy in or out. It uses no static data, no stack
 * and no libc. All matrices are row-major and contiguous; sizes are element counts.
 * float32 throughout, but for `dgemm`, the float64 products of the distance mechanisms:
 * `attention` reports a score or an output that float32 could not hold, and the caller
 * then keeps its float64 path.
 */
#include <stdint.h>
#include <wasm_simd128.h>

#define EXPORT __attribute__((visibility("default")))

/* V_madd(a, b, c) = a·b + c in V lanes (f32x4, f64x2). Built with relaxed SIMD
 * (attention-relaxed.wasm, which Python loads where the engine validates it:
 * kernels/wasm.py) one `V.relaxed_madd`, a fused multiply-add on hardware that has one
 * (rounded once, or twice where not: either is within the kernels' tolerances); in the
 * simd128 build a multiply and an add. */
#ifdef __wasm_relaxed_simd__
#define MADD(V) \
  static inline v128_t V##_madd(v128_t a, v128_t b, v128_t c) { return wasm_##V##_relaxed_madd(a, b, c); }
#else
#define MADD(V) \
  static inline v128_t V##_madd(v128_t a, v128_t b, v128_t c) { return wasm_##V##_add(wasm_##V##_mul(a, b), c); }
#endif
MADD(f32x4)
MADD(f64x2)

/* C[r, 0:2W] (+)= alpha · A[r, :] B[:, 0:2W] for R rows at once, in V lanes of T (W to a
 * vector): R·2 accumulators; float32 (f32x4, 4 x 8 tiles) and float64 (f64x2, 4 x 4). */
#define TILE(T, V, W, R)                                                                 \
  static void tile_##V##_##R(int k, const T *a, int lda, const T *b, int ldb, T *c, int ldc, \
                             T alpha, int acc) {                                         \
    v128_t lo[R], hi[R];                                                                 \
    for (int r = 0; r < R; r++) lo[r] = hi[r] = wasm_##V##_splat(0);                     \
    for (int p = 0; p < k; p++) {                                                        \
      const v128_t b0 = wasm_v128_load(b + p * ldb), b1 = wasm_v128_load(b + p * ldb + W); \
      for (int r = 0; r < R; r++) {                                                      \
        const v128_t x = wasm_##V##_splat(a[r * lda + p]);                               \
        lo[r] = V##_madd(x, b0, lo[r]);                                                  \
        hi[r] = V##_madd(x, b1, hi[r]);                                                  \
      }                                                                                  \
    }                                                                                    \
    const v128_t s = wasm_##V##_splat(alpha);                                            \
    for (int r = 0; r < R; r++) {                                                        \
      v128_t y0 = wasm_##V##_mul(lo[r], s), y1 = wasm_##V##_mul(hi[r], s);               \
      if (acc) {                                                                         \
        y0 = wasm_##V##_add(y0, wasm_v128_load(c + r * ldc));                            \
        y1 = wasm_##V##_add(y1, wasm_v128_load(c + r * ldc + W));                        \
      }                                                                                  \
      wasm_v128_store(c + r * ldc, y0);                                                  \
      wasm_v128_store(c + r * ldc + W, y1);                                              \
    }                                                                                    \
  }
TILE(float, f32x4, 4, 4)
TILE(float, f32x4, 4, 1)
TILE(double, f64x2, 2, 4)
TILE(double, f64x2, 2, 1)

/* ------------------------------------------------------------------ SGEMM */


/* The columns left of a multiple of 8 (fewer than 8), one f32x4 then scalars, R rows. */
static void tail_cols(int rows, int cols, int k, const float *a, int lda, const float *b,
                      int ldb, float *c, int ldc, float alpha, int acc) {
  for (int r = 0; r < rows; r++) {
    int j = 0;
    if (cols >= 4) {
      v128_t t = wasm_f32x4_splat(0.0f);
      for (int p = 0; p < k; p++)
        t = f32x4_madd(wasm_f32x4_splat(a[r * lda + p]), wasm_v128_load(b + p * ldb), t);
      t = wasm_f32x4_mul(t, wasm_f32x4_splat(alpha));
      if (acc) t = wasm_f32x4_add(t, wasm_v128_load(c + r * ldc));
      wasm_v128_store(c + r * ldc, t);
      j = 4;
    }
    for (; j < cols; j++) {
      float t = 0.0f;
      for (int p = 0; p < k; p++) t += a[r * lda + p] * b[p * ldb + j];
      c[r * ldc + j] = alpha * t + (acc ? c[r * ldc + j] : 0.0f);
    }
  }
}

/* C (m x n, stride ldc) (+)= alpha · A (m x k, lda) · B (k x n, ldb). Tiles of 4 rows by
 * 8 columns keep A's broadcasts and B's row in registers; the column blocks run in the
 * outer loop so that B's 8-column panel stays in cache for all rows. */
static void gemm(int m, int n, int k, const float *a, int lda, const float *b, int ldb,
                 float *c, int ldc, float alpha, int acc) {
  const int n8 = n & ~7;
  for (int j = 0; j < n8; j += 8) {
    int i = 0;
    for (; i + 4 <= m; i += 4) tile_f32x4_4(k, a + i * lda, lda, b + j, ldb, c + i * ldc + j, ldc, alpha, acc);
    for (; i < m; i++) tile_f32x4_1(k, a + i * lda, lda, b + j, ldb, c + i * ldc + j, ldc, alpha, acc);
  }
  if (n8 < n) tail_cols(m, n - n8, k, a, lda, b + n8, ldb, c + n8, ldc, alpha, acc);
}

/* [Σa, Σb, Σc, Σd]: the lane sums of four vectors. */
static inline v128_t hsum4(v128_t a, v128_t b, v128_t c, v128_t d) {
  const v128_t ab = wasm_f32x4_add(wasm_i32x4_shuffle(a, b, 0, 4, 1, 5), wasm_i32x4_shuffle(a, b, 2, 6, 3, 7));
  const v128_t cd = wasm_f32x4_add(wasm_i32x4_shuffle(c, d, 0, 4, 1, 5), wasm_i32x4_shuffle(c, d, 2, 6, 3, 7));
  return wasm_f32x4_add(wasm_i32x4_shuffle(ab, cd, 0, 1, 4, 5), wasm_i32x4_shuffle(ab, cd, 2, 3, 6, 7));
}

/* C (m x n, ldc) = alpha · A (m x k, lda) · Bᵀ with B (n x k, ldb): dot products along
 * the rows of both (the keys as stored, no transpose). Tiles of 2 rows by 4 columns: eight
 * f32x4 accumulators over k, summed across lanes once per tile; k's tail (k mod 4) and the
 * columns left of a multiple of 4 in scalars. */
static void gemm_nt(int m, int n, int k, const float *a, int lda, const float *b, int ldb,
                    float *c, int ldc, float alpha) {
  const int k4 = k & ~3;
  const v128_t s = wasm_f32x4_splat(alpha);
  for (int i = 0; i < m; i += 2) {
    const int two = i + 1 < m;
    const float *a0 = a + (long)i * lda, *a1 = two ? a0 + lda : a0;
    int j = 0;
    for (; j + 4 <= n; j += 4) {
      const float *b0 = b + (long)j * ldb, *b1 = b0 + ldb, *b2 = b1 + ldb, *b3 = b2 + ldb;
      v128_t c00 = wasm_f32x4_splat(0.0f), c01 = c00, c02 = c00, c03 = c00;
      v128_t c10 = c00, c11 = c00, c12 = c00, c13 = c00;
      for (int p = 0; p < k4; p += 4) {
        const v128_t x0 = wasm_v128_load(a0 + p), x1 = wasm_v128_load(a1 + p);
        const v128_t y0 = wasm_v128_load(b0 + p), y1 = wasm_v128_load(b1 + p);
        const v128_t y2 = wasm_v128_load(b2 + p), y3 = wasm_v128_load(b3 + p);
        c00 = f32x4_madd(x0, y0, c00);
        c01 = f32x4_madd(x0, y1, c01);
        c02 = f32x4_madd(x0, y2, c02);
        c03 = f32x4_madd(x0, y3, c03);
        c10 = f32x4_madd(x1, y0, c10);
        c11 = f32x4_madd(x1, y1, c11);
        c12 = f32x4_madd(x1, y2, c12);
        c13 = f32x4_madd(x1, y3, c13);
      }
      v128_t r0 = hsum4(c00, c01, c02, c03), r1 = hsum4(c10, c11, c12, c13);
      for (int p = k4; p < k; p++) {
        const v128_t y = wasm_f32x4_make(b0[p], b1[p], b2[p], b3[p]);
        r0 = f32x4_madd(wasm_f32x4_splat(a0[p]), y, r0);
        r1 = f32x4_madd(wasm_f32x4_splat(a1[p]), y, r1);
      }
      wasm_v128_store(c + (long)i * ldc + j, wasm_f32x4_mul(r0, s));
      if (two) wasm_v128_store(c + (long)(i + 1) * ldc + j, wasm_f32x4_mul(r1, s));
    }
    for (; j < n; j++)
      for (int r = 0; r <= two; r++) {
        const float *x = r ? a1 : a0, *y = b + (long)j * ldb;
        float t = 0.0f;
        for (int p = 0; p < k; p++) t += x[p] * y[p];
        c[(long)(i + r) * ldc + j] = alpha * t;
      }
  }
}

#define KEYS 128 /* columns of Bᵀ (keys) packed at a time: a (k x KEYS) panel */
#define ROWS 16  /* query rows scored at a time by the fused attention */
#define FEW 8    /* fewer rows than this read Bᵀ's rows directly instead of packing them */

/* Floats of scratch `sgemm` (m = 0) and `attention` need for m query rows and inner
 * dimension d: a packed (d x KEYS) panel, ROWS x KEYS scores, μ and ℓ of m rows. */
EXPORT int scratch_floats(int m, int d) { return d * KEYS + ROWS * KEYS + 2 * m; }

/* dst (k x cols, stride KEYS) = the first `cols` rows of b (stride ldb) transposed. */
static void pack_t(int cols, int k, const float *b, int ldb, float *dst) {
  for (int j = 0; j < cols; j++)
    for (int p = 0; p < k; p++) dst[p * KEYS + j] = b[(long)j * ldb + p];
}

/* C (m x n, ldc) = alpha · A · Bᵀ, B (n x k, ldb), for n <= KEYS: through a packed panel and
 * the 4 x 8 tiles, or for fewer than FEW rows by dot products along B's rows. */
static void gemm_bt(int m, int n, int k, const float *a, int lda, const float *b, int ldb,
                    float *c, int ldc, float alpha, float *panel) {
  if (m < FEW) {
    gemm_nt(m, n, k, a, lda, b, ldb, c, ldc, alpha);
    return;
  }
  pack_t(n, k, b, ldb, panel);
  gemm(m, n, k, a, lda, panel, KEYS, c, ldc, alpha, 0);
}

/* C = alpha · A·B (transposed = 0: B is k x n) or alpha · A·Bᵀ (transposed = 1: B is
 * n x k, as keys are stored) for `batch` contiguous products; a batch stride of 0 shares
 * an operand across the batch. scratch: `scratch_floats(0, k)` floats. */
EXPORT void sgemm(int batch, int m, int n, int k, const float *a, int a_stride, const float *b,
                  int b_stride, int transposed, float *c, float alpha, float *scratch) {
  for (int h = 0; h < batch; h++) {
    const float *ah = a + (long)h * a_stride, *bh = b + (long)h * b_stride;
    float *ch = c + (long)h * m * n;
    if (!transposed) {
      gemm(m, n, k, ah, k, bh, n, ch, n, alpha, 0);
      continue;
    }
    for (int j0 = 0; j0 < n; j0 += KEYS) {
      const int cols = n - j0 < KEYS ? n - j0 : KEYS;
      gemm_bt(m, cols, k, ah, k, bh + (long)j0 * k, k, ch + j0, n, alpha, scratch);
    }
  }
}

/* ------------------------------------------------------------------ DGEMM (float64) */

/* The float64 products Pyodide's NumPy would run in scalar loops: the Gram matrices of the
 * Poincaré distances (hyperbolic, mixed_curvature), the squared distances of the transport
 * mechanisms, and hyperbolic's weighted sums of values. */

#define DEPTH 256 /* rows of B (the inner dimension) one pass over C reads: a 4-column strip of
                     them (256 cache lines) stays in L1 while every row of A passes */


/* C (m x n, ldc) = A (m x k, lda) · B (k x n, ldb) in float64, k >= 1: DEPTH rows of B at
 * a time, 4 x 4 tiles, the columns left of a multiple of 4 in scalars. */
static void dgemm_nn(int m, int n, int k, const double *a, int lda, const double *b, int ldb,
                     double *c, int ldc) {
  const int n4 = n & ~3;
  for (int p0 = 0; p0 < k; p0 += DEPTH) {
    const int depth = k - p0 < DEPTH ? k - p0 : DEPTH, acc = p0 > 0;
    const double *ap = a + p0, *bp = b + (long)p0 * ldb;
    for (int j = 0; j < n4; j += 4) {
      int i = 0;
      for (; i + 4 <= m; i += 4) tile_f64x2_4(depth, ap + (long)i * lda, lda, bp + j, ldb, c + (long)i * ldc + j, ldc, 1.0, acc);
      for (; i < m; i++) tile_f64x2_1(depth, ap + (long)i * lda, lda, bp + j, ldb, c + (long)i * ldc + j, ldc, 1.0, acc);
    }
    for (int i = 0; i < m; i++)
      for (int j = n4; j < n; j++) {
        double t = acc ? c[(long)i * ldc + j] : 0.0;
        for (int p = 0; p < depth; p++) t += ap[(long)i * lda + p] * bp[(long)p * ldb + j];
        c[(long)i * ldc + j] = t;
      }
  }
}

/* C = A·B (transposed = 0: B is k x n) or A·Bᵀ (transposed = 1: B is n x k, read as
 * stored and packed KEYS rows at a time) in float64, for `batch` contiguous products as
 * `sgemm` (a batch stride of 0 shares an operand). scratch: `scratch_floats(0, 2 * k)`
 * floats, a (k x KEYS) panel of doubles. */
EXPORT void dgemm(int batch, int m, int n, int k, const double *a, int a_stride, const double *b,
                  int b_stride, int transposed, double *c, double *scratch) {
  for (int h = 0; h < batch; h++) {
    const double *ah = a + (long)h * a_stride, *bh = b + (long)h * b_stride;
    double *ch = c + (long)h * m * n;
    if (!transposed) {
      dgemm_nn(m, n, k, ah, k, bh, n, ch, n);
      continue;
    }
    for (int j0 = 0; j0 < n; j0 += KEYS) {
      const int cols = n - j0 < KEYS ? n - j0 : KEYS;
      for (int j = 0; j < cols; j++)
        for (int p = 0; p < k; p++) scratch[p * KEYS + j] = bh[(long)(j0 + j) * k + p];
      dgemm_nn(m, cols, k, ah, k, scratch, KEYS, ch + j0, n);
    }
  }
}

/* 1 when the sum of |x_i| over n floats is finite in float32 (so no x_i is NaN or ±inf,
 * and sums of them have room), else 0. */
static int sums_fit(int n, const float *x) {
  v128_t total = wasm_f32x4_splat(0.0f);
  int i = 0;
  for (; i + 4 <= n; i += 4) total = wasm_f32x4_add(total, wasm_f32x4_abs(wasm_v128_load(x + i)));
  float t = wasm_f32x4_extract_lane(total, 0) + wasm_f32x4_extract_lane(total, 1) +
            wasm_f32x4_extract_lane(total, 2) + wasm_f32x4_extract_lane(total, 3);
  for (; i < n; i++) t += x[i] < 0 ? -x[i] : x[i];
  return t <= __FLT_MAX__;
}

/* 1 when none of the n floats is NaN or ±inf, else 0. */
EXPORT int all_finite(int n, const float *x) {
  const v128_t top = wasm_f32x4_splat(__FLT_MAX__);
  v128_t ok = wasm_i32x4_splat(-1);
  int i = 0;
  for (; i + 4 <= n; i += 4) ok = wasm_v128_and(ok, wasm_f32x4_le(wasm_f32x4_abs(wasm_v128_load(x + i)), top));
  if (!wasm_i32x4_all_true(ok)) return 0;
  for (; i < n; i++)
    if (!(x[i] <= __FLT_MAX__ && x[i] >= -__FLT_MAX__)) return 0;
  return 1;
}

/* ------------------------------------------------------------------ exp */

/* e^x for x <= 0 (and -inf), four at a time. x = n·ln2 + r with |r| <= ln2/2 (ln2 split in
 * a high part exact in float32 and a low part), e^r by its degree-7 Taylor polynomial
 * (truncation error < 1e-8 on |r| <= ln2/2, exactly 1 at r = 0), then 2^n built in the
 * exponent bits, in two factors so that results in the denormal range come out as denormals and
 * x < -104 gives exactly 0. */
/* The integers n in [-150, 0] that exp_neg's floats hold (relaxed: the engine's plain
 * conversion, exact in that range; else the saturating one, which costs more on x86). */
static inline v128_t to_int(v128_t n) {
#ifdef __wasm_relaxed_simd__
  return wasm_i32x4_relaxed_trunc_f32x4(n);
#else
  return wasm_i32x4_trunc_sat_f32x4(n);
#endif
}

static inline v128_t exp_neg(v128_t x) {
  x = wasm_f32x4_pmax(x, wasm_f32x4_splat(-104.0f));
  const v128_t n = wasm_f32x4_nearest(wasm_f32x4_mul(x, wasm_f32x4_splat(1.44269504088896341f)));
  v128_t r = f32x4_madd(n, wasm_f32x4_splat(-0.693359375f), x);
  r = f32x4_madd(n, wasm_f32x4_splat(2.12194440e-4f), r);
  v128_t p = wasm_f32x4_splat(1.0f / 5040.0f);
  p = f32x4_madd(p, r, wasm_f32x4_splat(1.0f / 720.0f));
  p = f32x4_madd(p, r, wasm_f32x4_splat(1.0f / 120.0f));
  p = f32x4_madd(p, r, wasm_f32x4_splat(1.0f / 24.0f));
  p = f32x4_madd(p, r, wasm_f32x4_splat(1.0f / 6.0f));
  p = f32x4_madd(p, r, wasm_f32x4_splat(0.5f));
  p = f32x4_madd(p, r, wasm_f32x4_splat(1.0f));
  p = f32x4_madd(p, r, wasm_f32x4_splat(1.0f));
  const v128_t ni = to_int(n);                                  /* in [-150, 0] */
  const v128_t n1 = wasm_i32x4_max(ni, wasm_i32x4_splat(-126)); /* 2^n1 is normal */
  const v128_t n2 = wasm_i32x4_sub(ni, n1);                     /* in [-24, 0] */
  const v128_t bias = wasm_i32x4_splat(127);
  p = wasm_f32x4_mul(p, (v128_t)wasm_i32x4_shl(wasm_i32x4_add(n1, bias), 23));
  return wasm_f32x4_mul(p, (v128_t)wasm_i32x4_shl(wasm_i32x4_add(n2, bias), 23));
}

/* e^x of one x <= 0. */
static inline float exp_neg1(float x) { return wasm_f32x4_extract_lane(exp_neg(wasm_f32x4_splat(x)), 0); }

EXPORT void exp_neg_array(int n, const float *x, float *y) {
  int i = 0;
  for (; i + 4 <= n; i += 4) wasm_v128_store(y + i, exp_neg(wasm_v128_load(x + i)));
  for (; i < n; i++) y[i] = exp_neg1(x[i]);
}

/* ------------------------------------------------------------------ softmax */

#define NEG_INF (-__builtin_inff())

/* Scores of one row over keys [j0, j0+n) that the row cannot see become -inf: mask
 * (uint8, 1 = attend, or null) and causal order (keys after `last` are hidden). Returns
 * the row's largest visible score (-inf if none). */
static float hide(float *s, int n, const uint8_t *mask, int j0, long last) {
  const int seen = last >= (long)j0 + n - 1 ? n : (last < j0 ? 0 : (int)(last - j0 + 1));
  for (int j = seen; j < n; j++) s[j] = NEG_INF;
  if (mask)
    for (int j = 0; j < seen; j++)
      if (!mask[j]) s[j] = NEG_INF;
  v128_t mx = wasm_f32x4_splat(NEG_INF);
  int j = 0;
  for (; j + 4 <= seen; j += 4) mx = wasm_f32x4_pmax(mx, wasm_v128_load(s + j));
  mx = wasm_f32x4_pmax(mx, wasm_i32x4_shuffle(mx, mx, 2, 3, 0, 1));
  mx = wasm_f32x4_pmax(mx, wasm_i32x4_shuffle(mx, mx, 1, 0, 3, 2));
  float m = wasm_f32x4_extract_lane(mx, 0);
  for (; j < seen; j++) m = s[j] > m ? s[j] : m;
  return m;
}

/* s[j] = e^(s[j] - shift) in place (hidden -inf entries give exactly 0); returns the sum. */
static float exp_shifted(float *s, int n, float shift) {
  const v128_t sh = wasm_f32x4_splat(shift);
  v128_t total = wasm_f32x4_splat(0.0f);
  int j = 0;
  for (; j + 4 <= n; j += 4) {
    const v128_t e = exp_neg(wasm_f32x4_sub(wasm_v128_load(s + j), sh));
    wasm_v128_store(s + j, e);
    total = wasm_f32x4_add(total, e);
  }
  float t = wasm_f32x4_extract_lane(total, 0) + wasm_f32x4_extract_lane(total, 1) +
            wasm_f32x4_extract_lane(total, 2) + wasm_f32x4_extract_lane(total, 3);
  for (; j < n; j++) t += (s[j] = exp_neg1(s[j] - shift));
  return t;
}

static void scale_row(float *x, int n, float f) {
  const v128_t v = wasm_f32x4_splat(f);
  int j = 0;
  for (; j + 4 <= n; j += 4) wasm_v128_store(x + j, wasm_f32x4_mul(wasm_v128_load(x + j), v));
  for (; j < n; j++) x[j] *= f;
}

/* The last key row i may see: i + shift under causal order (shift = offset + n - total,
 * the bottom-right alignment of the row's global position), else every key. */
static long last_key(int causal, int i, int shift, int n) { return causal ? (long)i + shift : (long)n; }

/* Row softmax of `batch` (m x n) score matrices in place, hidden entries exactly 0 and a
 * row that sees no key all zeros. The mask (m x n) is shared by the batch. */
EXPORT void softmax_rows(int batch, int m, int n, float *s, const uint8_t *mask, int causal, int shift) {
  for (int h = 0; h < batch; h++)
    for (int i = 0; i < m; i++) {
      float *row = s + ((long)h * m + i) * n;
      const float mx = hide(row, n, mask ? mask + (long)i * n : 0, 0, last_key(causal, i, shift, n));
      const float total = exp_shifted(row, n, mx == NEG_INF ? 0.0f : mx);
      scale_row(row, n, total > 0.0f ? 1.0f / total : 0.0f);
    }
}

/* ------------------------------------------------------------------ fused attention */

/* out = softmax(scale · Q Kᵀ, hidden by mask / causal) V for `batch` heads, without the
 * (m x n) scores. Blocks of KEYS keys in the outer loop (their packed panel and their
 * values stay in cache for every query), ROWS queries inside, with the online softmax
 * per row (running max μ and normaliser ℓ; a' = e^{μ-μ'} a + Σ_j e^{s_j-μ'} v_j, kept in
 * `out`; out = a / ℓ at the end, 0 for a row that saw no key).
 * q (batch, m, d), k (batch, n, d), v (batch, n, dv), out (batch, m, dv), mask (m x n) or
 * null, scratch `scratch_floats(m, d)` floats; `stats` (batch, m, 2) or null receives each
 * row's softmax statistics (μ, ℓ; -inf and 0 for a row that saw no key), the partial a
 * pool merges when it splits one query's keys across workers. Returns 1, and the caller keeps its float64
 * path, when float32 is too narrow: a score beyond its range, or outputs whose magnitudes
 * sum beyond it (NumPy's path then moves to float64, so that later sums of them stay
 * finite: flash's backward, for one). Else 0. */
EXPORT int attention(int batch, int m, int n, int d, int dv, const float *q, const float *k,
                      const float *v, float *out, const uint8_t *mask, int causal, int shift,
                      float scale, float *stats, float *scratch) {
  float *panel = scratch, *s = panel + d * KEYS, *mu = s + ROWS * KEYS, *ell = mu + m;
  for (int h = 0; h < batch; h++) {
    const float *qh = q + (long)h * m * d, *kh = k + (long)h * n * d, *vh = v + (long)h * n * dv;
    float *oh = out + (long)h * m * dv;
    for (int i = 0; i < m; i++) mu[i] = NEG_INF, ell[i] = 0.0f;
    for (long x = 0; x < (long)m * dv; x++) oh[x] = 0.0f;
    for (int j0 = 0; j0 < n; j0 += KEYS) {
      const int keys = n - j0 < KEYS ? n - j0 : KEYS;
      if (m >= FEW) pack_t(keys, d, kh + (long)j0 * d, d, panel);
      for (int i0 = 0; i0 < m; i0 += ROWS) {
        const int rows = m - i0 < ROWS ? m - i0 : ROWS;
        if (m >= FEW) gemm(rows, keys, d, qh + (long)i0 * d, d, panel, KEYS, s, KEYS, scale, 0);
        else gemm_nt(rows, keys, d, qh + (long)i0 * d, d, kh + (long)j0 * d, d, s, KEYS, scale);
        for (int r = 0; r < rows; r++) {
          const int i = i0 + r;
          float *row = s + r * KEYS;
          if (!all_finite(keys, row)) return 1;
          const float bmax = hide(row, keys, mask ? mask + (long)i * n + j0 : 0, j0, last_key(causal, i, shift, n));
          const float next = bmax > mu[i] ? bmax : mu[i];
          if (next == NEG_INF) { /* nothing visible yet: this block adds nothing */
            for (int j = 0; j < keys; j++) row[j] = 0.0f;
            continue;
          }
          const float correction = mu[i] == NEG_INF ? 0.0f : exp_neg1(mu[i] - next);
          ell[i] = ell[i] * correction + exp_shifted(row, keys, next);
          mu[i] = next;
          if (correction != 1.0f) scale_row(oh + (long)i * dv, dv, correction);
        }
        gemm(rows, dv, keys, s, KEYS, vh + (long)j0 * dv, dv, oh + (long)i0 * dv, dv, 1.0f, 1);
      }
    }
    for (int i = 0; i < m; i++) scale_row(oh + (long)i * dv, dv, ell[i] > 0.0f ? 1.0f / ell[i] : 0.0f);
    if (!sums_fit(m * dv, oh)) return 1;
    if (stats)
      for (int i = 0; i < m; i++) stats[((long)h * m + i) * 2] = mu[i], stats[((long)h * m + i) * 2 + 1] = ell[i];
  }
  return 0;
}
