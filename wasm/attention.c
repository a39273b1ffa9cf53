/* WebAssembly SIMD (simd128) kernels of ruvector-attention-py, for Pyodide.
 *
 * Why C: <wasm_simd128.h> gives every simd128 instruction as an intrinsic, clang
 * allocates the registers of the micro-kernels (which WAT would leave to us), and the
 * registries ship a complete C-to-wasm toolchain (PyPI `ziglang`: `zig cc`), so the
 * set-up compiles this file with `pip install` alone (scripts/build-kernels.sh).
 * AssemblyScript's SIMD API is thinner and its output larger; Zig would need the same
 * toolchain for no gain here.
 *
 * The module owns its memory (exported as `memory`). Python (kernels/wasm.py) lays its
 * operands out above `heap_base()`, copies NumPy buffers in and the result out once. All
 * matrices are row-major and contiguous; sizes are element counts. float32 throughout:
 * the caller checks with `max_abs` that no score or output sum can overflow and keeps the
 * float64 NumPy path for inputs where one could.
 */
#include <stdint.h>
#include <wasm_simd128.h>

#define EXPORT __attribute__((visibility("default")))

extern unsigned char __heap_base;

/* The first address free for operands (above the stack and static data). */
EXPORT uint32_t heap_base(void) { return (uint32_t)(uintptr_t)&__heap_base; }

/* ------------------------------------------------------------------ SGEMM */

/* C[r, 0:8·] (+)= alpha · A[r, :] B[:, 0:8·] for R rows at once: R·2 f32x4 accumulators. */
#define TILE_NN(R)                                                                     \
  static void tile##R##x8(int k, const float *a, int lda, const float *b, int ldb,       \
                          float *c, int ldc, float alpha, int acc) {                     \
    v128_t lo[R], hi[R];                                                               \
    for (int r = 0; r < R; r++) lo[r] = hi[r] = wasm_f32x4_splat(0.0f);                \
    for (int p = 0; p < k; p++) {                                                      \
      const v128_t b0 = wasm_v128_load(b + p * ldb), b1 = wasm_v128_load(b + p * ldb + 4); \
      for (int r = 0; r < R; r++) {                                                    \
        const v128_t x = wasm_f32x4_splat(a[r * lda + p]);                             \
        lo[r] = wasm_f32x4_add(lo[r], wasm_f32x4_mul(x, b0));                          \
        hi[r] = wasm_f32x4_add(hi[r], wasm_f32x4_mul(x, b1));                          \
      }                                                                                \
    }                                                                                  \
    const v128_t s = wasm_f32x4_splat(alpha);                                          \
    for (int r = 0; r < R; r++) {                                                      \
      v128_t y0 = wasm_f32x4_mul(lo[r], s), y1 = wasm_f32x4_mul(hi[r], s);             \
      if (acc) {                                                                       \
        y0 = wasm_f32x4_add(y0, wasm_v128_load(c + r * ldc));                          \
        y1 = wasm_f32x4_add(y1, wasm_v128_load(c + r * ldc + 4));                      \
      }                                                                                \
      wasm_v128_store(c + r * ldc, y0);                                                \
      wasm_v128_store(c + r * ldc + 4, y1);                                            \
    }                                                                                  \
  }
TILE_NN(4)
TILE_NN(1)

/* The columns left of a multiple of 8 (fewer than 8), one f32x4 then scalars, R rows. */
static void tail_cols(int rows, int cols, int k, const float *a, int lda, const float *b,
                      int ldb, float *c, int ldc, float alpha, int acc) {
  for (int r = 0; r < rows; r++) {
    int j = 0;
    if (cols >= 4) {
      v128_t t = wasm_f32x4_splat(0.0f);
      for (int p = 0; p < k; p++)
        t = wasm_f32x4_add(t, wasm_f32x4_mul(wasm_f32x4_splat(a[r * lda + p]), wasm_v128_load(b + p * ldb)));
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
    for (; i + 4 <= m; i += 4) tile4x8(k, a + i * lda, lda, b + j, ldb, c + i * ldc + j, ldc, alpha, acc);
    for (; i < m; i++) tile1x8(k, a + i * lda, lda, b + j, ldb, c + i * ldc + j, ldc, alpha, acc);
  }
  if (n8 < n) tail_cols(m, n - n8, k, a, lda, b + n8, ldb, c + n8, ldc, alpha, acc);
}

/* C = alpha · A·B for `batch` contiguous (m x k)·(k x n) products (a batch stride of 0
 * for an operand shared by all). */
EXPORT void sgemm(int batch, int m, int n, int k, const float *a, int a_stride, const float *b,
                  int b_stride, float *c, float alpha) {
  for (int h = 0; h < batch; h++)
    gemm(m, n, k, a + h * a_stride, k, b + h * b_stride, n, c + h * m * n, n, alpha, 0);
}

/* dst (cols x rows) = srcᵀ, for `batch` contiguous matrices. */
EXPORT void transpose(int batch, int rows, int cols, const float *src, float *dst) {
  for (int h = 0; h < batch; h++, src += rows * cols, dst += rows * cols)
    for (int i0 = 0; i0 < rows; i0 += 16)
      for (int j = 0; j < cols; j++)
        for (int i = i0; i < rows && i < i0 + 16; i++) dst[j * rows + i] = src[i * cols + j];
}

/* The largest |x_i| of n floats (0 for n = 0). */
EXPORT float max_abs(int n, const float *x) {
  v128_t mx = wasm_f32x4_splat(0.0f);
  int i = 0;
  for (; i + 4 <= n; i += 4) mx = wasm_f32x4_pmax(mx, wasm_f32x4_abs(wasm_v128_load(x + i)));
  mx = wasm_f32x4_pmax(mx, wasm_i32x4_shuffle(mx, mx, 2, 3, 0, 1));
  mx = wasm_f32x4_pmax(mx, wasm_i32x4_shuffle(mx, mx, 1, 0, 3, 2));
  float m = wasm_f32x4_extract_lane(mx, 0);
  for (; i < n; i++) {
    const float v = x[i] < 0 ? -x[i] : x[i];
    m = v > m ? v : m;
  }
  return m;
}

/* ------------------------------------------------------------------ exp */

/* e^x for x <= 0 (and -inf), four at a time. x = n·ln2 + r with |r| <= ln2/2 (ln2 split in
 * a high part exact in float32 and a low part), e^r by its degree-7 Taylor polynomial
 * (truncation error < 1e-8 on |r| <= ln2/2, exactly 1 at r = 0), then 2^n built in the
 * exponent bits, in two factors so that results in the denormal range come out as denormals and
 * x < -104 gives exactly 0. */
static inline v128_t exp_neg(v128_t x) {
  x = wasm_f32x4_pmax(x, wasm_f32x4_splat(-104.0f));
  const v128_t n = wasm_f32x4_nearest(wasm_f32x4_mul(x, wasm_f32x4_splat(1.44269504088896341f)));
  v128_t r = wasm_f32x4_sub(x, wasm_f32x4_mul(n, wasm_f32x4_splat(0.693359375f)));
  r = wasm_f32x4_sub(r, wasm_f32x4_mul(n, wasm_f32x4_splat(-2.12194440e-4f)));
  v128_t p = wasm_f32x4_splat(1.0f / 5040.0f);
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.0f / 720.0f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.0f / 120.0f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.0f / 24.0f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.0f / 6.0f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(0.5f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.0f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.0f));
  const v128_t ni = wasm_i32x4_trunc_sat_f32x4(n);              /* in [-150, 0] */
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
  float mx = NEG_INF;
  for (int j = 0; j < n; j++) {
    if ((mask && !mask[j]) || (long)(j0 + j) > last) s[j] = NEG_INF;
    mx = s[j] > mx ? s[j] : mx;
  }
  return mx;
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

#define ROWS 64
#define KEYS 128

/* Floats of scratch `attention` needs for values of dv columns. */
EXPORT int scratch_floats(int dv) { return ROWS * (KEYS + dv); }

/* out = softmax(scale · Q Kᵀ, hidden by mask / causal) V for `batch` heads, without the
 * (m x n) scores: ROWS queries at a time over blocks of KEYS keys, with the online softmax
 * (running max μ and normaliser ℓ; a' = e^{μ-μ'} a + Σ_j e^{s_j-μ'} v_j; out = a / ℓ).
 * q (batch, m, d), kt (batch, d, n) = the keys transposed, v (batch, n, dv),
 * out (batch, m, dv), mask (m x n) or null, scratch `scratch_floats(dv)` floats. */
EXPORT void attention(int batch, int m, int n, int d, int dv, const float *q, const float *kt,
                      const float *v, float *out, const uint8_t *mask, int causal, int shift,
                      float scale, float *scratch) {
  float *s = scratch, *acc = scratch + ROWS * KEYS;
  for (int h = 0; h < batch; h++) {
    const float *qh = q + (long)h * m * d, *kh = kt + (long)h * d * n, *vh = v + (long)h * n * dv;
    float *oh = out + (long)h * m * dv;
    for (int i0 = 0; i0 < m; i0 += ROWS) {
      const int rows = m - i0 < ROWS ? m - i0 : ROWS;
      float mu[ROWS], ell[ROWS];
      for (int r = 0; r < rows; r++) mu[r] = NEG_INF, ell[r] = 0.0f;
      for (int x = 0; x < rows * dv; x++) acc[x] = 0.0f;
      for (int j0 = 0; j0 < n; j0 += KEYS) {
        const int keys = n - j0 < KEYS ? n - j0 : KEYS;
        gemm(rows, keys, d, qh + (long)i0 * d, d, kh + j0, n, s, KEYS, scale, 0);
        for (int r = 0; r < rows; r++) {
          const int i = i0 + r;
          float *row = s + r * KEYS;
          const float bmax = hide(row, keys, mask ? mask + (long)i * n + j0 : 0, j0, last_key(causal, i, shift, n));
          const float next = bmax > mu[r] ? bmax : mu[r];
          if (next == NEG_INF) { /* nothing visible yet: this block adds nothing */
            for (int j = 0; j < keys; j++) row[j] = 0.0f;
            continue;
          }
          const float correction = mu[r] == NEG_INF ? 0.0f : exp_neg1(mu[r] - next);
          ell[r] = ell[r] * correction + exp_shifted(row, keys, next);
          mu[r] = next;
          if (correction != 1.0f) scale_row(acc + r * dv, dv, correction);
        }
        gemm(rows, dv, keys, s, KEYS, vh + (long)j0 * dv, dv, acc, dv, 1.0f, 1);
      }
      for (int r = 0; r < rows; r++) {
        float *o = oh + (long)(i0 + r) * dv;
        for (int c = 0; c < dv; c++) o[c] = acc[r * dv + c];
        scale_row(o, dv, ell[r] > 0.0f ? 1.0f / ell[r] : 0.0f);
      }
    }
  }
}
