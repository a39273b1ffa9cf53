// The demo's input vectors: one row per token, hashed from the token (the same token gives
// the same vector) or random, scaled to a chosen norm; and the per-call inputs the graph
// mechanisms take, made from the tokens so they show something.

function hash(text) { // FNV-1a, 32 bits
  let h = 0x811c9dc5;
  for (const ch of text) h = Math.imul(h ^ ch.codePointAt(0), 0x01000193) >>> 0;
  return h;
}

function normals(seed, n) { // mulberry32 + Box-Muller
  let s = seed >>> 0;
  const uniform = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 4294967296;
  };
  return Float32Array.from({ length: n }, () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform()));
}

/** Each row of `x` (rows of `dim`) rescaled to Euclidean norm `norm`, in place. */
export function scaleRows(x, dim, norm) {
  for (let i = 0; i < x.length / dim; i++) {
    const row = x.subarray(i * dim, (i + 1) * dim);
    const length = Math.hypot(...row) || 1;
    for (let k = 0; k < dim; k++) row[k] = (row[k] * norm) / length;
  }
  return x;
}

/** One row per token: hashed from (seed, token) or random from (seed, position); scaled to `norm`. */
export function tokenVectors(tokens, dim, seed, mode, norm) {
  const data = new Float32Array(tokens.length * dim);
  tokens.forEach((token, i) => data.set(normals(hash(mode === 'hashed' ? `${seed}:${token}` : `${seed}:${i}`), dim), i * dim));
  return scaleRows(data, dim, norm);
}

/** The default vector norm for a mechanism: inside the Poincaré ball (0.3) for the
 * hyperbolic family, whose points must have norm < 1; 4 (sharp softmax) otherwise. */
export function defaultNorm(name) {
  return ['hyperbolic', 'mixed_curvature', 'mixed_curvature_fused'].includes(name) ? 0.3 : 4;
}

/** A key's HNSW level from its token's hash: level l with probability 4^-l, as an index of
 * M = 4 draws them (capped below the mechanism's maxLayers). */
function hnswLevel(token, maxLayers) {
  let level = 0;
  for (let h = hash(`level:${token}`); (h & 3) === 0 && level < maxLayers - 1; h >>>= 2) level++;
  return level;
}

/** Per-key structural features of the tokens' similarity graph (keys joined when their
 * cosine is positive): degree, mean and largest cosine to the others, then zeros. */
function structuralFeatures(x, n, dim, count) {
  const norm = (i) => Math.hypot(...x.subarray(i * dim, (i + 1) * dim)) || 1;
  const cosine = (i, j) => {
    let dot = 0;
    for (let k = 0; k < dim; k++) dot += x[i * dim + k] * x[j * dim + k];
    return dot / (norm(i) * norm(j));
  };
  return Array.from({ length: n }, (_, i) => {
    const others = Array.from({ length: n }, (__, j) => j).filter((j) => j !== i).map((j) => cosine(i, j));
    const features = [others.filter((c) => c > 0).length / Math.max(n - 1, 1),
      others.reduce((a, c) => a + c, 0) / Math.max(others.length, 1), Math.max(0, ...others)];
    return Array.from({ length: count }, (__, f) => features[f] ?? 0);
  });
}

/** The per-call inputs a graph mechanism takes, made from the tokens so it shows something. */
export function graphInputs(info, words, x) {
  if (info.name === 'hnsw_aware') return { hnswLayers: words.map((word) => hnswLevel(word, info.config.maxLayers)) };
  if (info.name === 'structural') return { structuralFeatures: structuralFeatures(x, words.length, info.dim, info.config.numFeatures) };
  return undefined;
}
