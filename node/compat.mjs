// Synchronous drop-in functions for users of the npm package @ruvector/attention, with its
// names, signatures and return types (its index.d.ts), running Pyodide in this thread.
import { bootNode } from './boot.mjs';

/**
 * @param {{ indexURL?: string, packagesURL?: string, wheelURL?: string }} [options]
 * @returns {Promise<import('./index').CompatModule>}
 */
export async function loadCompat(options = {}) {
  const session = await bootNode(options);
  const handles = new Map();
  let nextHandle = 1;

  function compute(name, config, query, keys, values) {
    const key = `${name}:${JSON.stringify(config)}`;
    if (!handles.has(key)) {
      session.create(nextHandle, name, config);
      handles.set(key, nextHandle++);
    }
    const width = values[0]?.length ?? 0;
    const flatValues = new Float32Array(values.length * width);
    values.forEach((row, i) => flatValues.set(row, i * width));
    const flatKeys = new Float32Array(keys.length * query.length);
    keys.forEach((row, i) => flatKeys.set(row, i * query.length));
    return session.call(handles.get(key), 'compute', {
      query, keys: flatKeys, values: flatValues, options: { valuesRows: values.length },
    });
  }

  return {
    scaledDotProductAttention: (query, keys, values) =>
      compute('scaled_dot', { dim: query.length }, query, keys, values),
    multiHeadAttention: (query, keys, values, { dim, numHeads = 1, dropout = 0 }) =>
      compute('multi_head', { dim, numHeads, dropout }, query, keys, values),
    flashAttention: (query, keys, values, blockSize = 64) =>
      compute('flash', { dim: query.length, blockSize }, query, keys, values),
    hyperbolicAttention: (query, keys, values, curvature = -1.0) =>
      compute('hyperbolic', { dim: query.length, curvature }, query, keys, values),
  };
}
