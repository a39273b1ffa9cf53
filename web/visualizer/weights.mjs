// Arithmetic on flat, row-major Float32Array weights shared by the views: one head (or
// the mean over heads) of a layer, and which cells a query cannot see.

/** The (rows·cols) weights of one head, or their mean over heads for head = 'mean'. */
export function headView(weights, { heads, rows, cols }, head) {
  const size = rows * cols;
  if (head !== 'mean') return weights.subarray(head * size, (head + 1) * size);
  const mean = new Float32Array(size);
  for (let h = 0; h < heads; h++) for (let i = 0; i < size; i++) mean[i] += weights[h * size + i] / heads;
  return mean;
}

/** The (heads·rows·cols) weights of one layer of (layers·heads·rows·cols) attentions. */
export function layerOf(attentions, { heads, rows, cols }, layer) {
  const size = heads * rows * cols;
  return attentions.subarray(layer * size, (layer + 1) * size);
}

/**
 * 1 where query i cannot see key j: key j masked (`mask`: one flag per key, false = masked)
 * or, with `causal`, j after i (queries and keys the same sequence). Null when none is hidden.
 * @param {{ rows: number, cols: number, mask?: ArrayLike<boolean|number> | null, causal?: boolean }} shape
 */
export function hiddenCells({ rows, cols, mask, causal }) {
  const masked = mask ? Array.from({ length: cols }, (_, j) => !mask[j]) : null;
  if (!causal && !masked?.some(Boolean)) return null;
  const hidden = new Uint8Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) hidden[i * cols + j] = (causal && j > i) || masked?.[j] ? 1 : 0;
  }
  return hidden;
}

/** Smallest and largest of `values` over the cells not hidden ([0, 1] if all are hidden). */
export function rangeOf(values, hidden) {
  let lo = Infinity;
  let hi = -Infinity;
  for (let k = 0; k < values.length; k++) {
    if (hidden?.[k]) continue;
    const v = values[k];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return lo <= hi ? [lo, hi] : [0, 1];
}
