// ruvector-attention-py/node
export * from '../web/core/types.js';

/** The configuration of @ruvector/attention's multiHeadAttention. */
export interface AttentionConfig {
  dim: number;
  numHeads?: number;
  dropout?: number;
}

/** Synchronous functions with the names and signatures of npm @ruvector/attention. */
export interface CompatModule {
  scaledDotProductAttention(query: Float32Array, keys: Float32Array[], values: Float32Array[]): Float32Array;
  multiHeadAttention(query: Float32Array, keys: Float32Array[], values: Float32Array[], config: AttentionConfig): Float32Array;
  flashAttention(query: Float32Array, keys: Float32Array[], values: Float32Array[], blockSize?: number): Float32Array;
  hyperbolicAttention(query: Float32Array, keys: Float32Array[], values: Float32Array[], curvature?: number): Float32Array;
}

/** Pyodide in the calling thread (a few seconds), then synchronous calls. */
export declare function loadCompat(options?: { indexURL?: string; packagesURL?: string; wheelURL?: string }): Promise<CompatModule>;

/** The folder of the `pyodide` npm dependency (Pyodide's core), the default indexURL. */
export declare const DEFAULT_INDEX_URL: string;
/** This package's wheels/ folder (lock, numpy and our wheel), the default packagesURL. */
export declare const DEFAULT_PACKAGES_URL: string;
