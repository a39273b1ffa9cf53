// Types of the runtime API shared by ruvector-attention-py/node and /web (API.md §5).

/** Every registered mechanism (checked against the Python registry by a test). */
export type MechanismName =
  | 'centroid_ot'
  | 'diffusion'
  | 'dual_space'
  | 'edge_featured'
  | 'flash'
  | 'hyperbolic'
  | 'information_bottleneck'
  | 'linear'
  | 'local_global'
  | 'mixed_curvature'
  | 'mixed_curvature_fused'
  | 'moe'
  | 'multi_head'
  | 'rope'
  | 'scaled_dot'
  | 'sliced_wasserstein'
  | 'topology_gated';

/** A matrix already copied into every worker by `Runtime.upload` (validated there once). */
export declare class ResidentMatrix {
  readonly id: number;
  readonly rows: number;
  readonly cols: number;
  dispose(): Promise<void>;
}

/** A matrix: flat row-major (rows inferred from `dim` or given as `{ rows }`), rows, or resident. */
export type Matrix = Float32Array | ArrayLike<number>[] | number[] | ResidentMatrix;
export type Vector = Float32Array | number[];
/** Boolean attend-mask (true = attend): `(n)` or, for a batch, `(m, n)` rows or flat `m·n`. */
export type Mask = ArrayLike<boolean | number> | ArrayLike<boolean | number>[];

/** Config keys are the Python config fields in camelCase, e.g. `{ dim: 64, numHeads: 4 }`. */
export type MechanismConfig = Record<string, number | boolean | string | null | number[] | object[]>;

export interface MechanismInfo {
  name: MechanismName;
  dim: number;
  numHeads: number;
  config: MechanismConfig;
  complexity: string;
  /** Whether computeBatch may split queries across workers (false for `moe`). */
  splittable: boolean;
  /** Whether calls change the mechanism (`topology_gated`'s mode): all its calls go to one worker. */
  stateful: boolean;
  /** Whether values must have `dim` columns (learned value projections). */
  valuesMatchDim: boolean;
}

export interface SingleOptions {
  mask?: Mask;
  /** Query position for position-aware mechanisms (`local_global`; default n/2). */
  position?: number;
  /** The mechanism's other per-call inputs, e.g. `{ distances }` (rope), `{ edgeFeatures }`. */
  extras?: Record<string, unknown>;
}

export interface BatchOptions {
  mask?: Mask;
  /** Bottom-right-aligned causal order; overrides the config's `causal`. */
  causal?: boolean;
  /** Query rows when `queries` is flat and ambiguous. */
  rows?: number;
  /** The mechanism's other per-call inputs (a call with extras runs on one worker). */
  extras?: Record<string, unknown>;
}

export interface AttentionHandle {
  readonly info: MechanismInfo;
  readonly handle: number;
  /** One query (d) -> Float32Array(dv). */
  compute(query: Vector, keys: Matrix, values: Matrix, options?: SingleOptions): Promise<Float32Array>;
  /** Queries (m, d) -> Float32Array(m·dv), split across workers, in order. */
  computeBatch(queries: Matrix, keys: Matrix, values: Matrix, options?: BatchOptions): Promise<Float32Array>;
  /** Weights of one query -> Float32Array(n), non-negative, summing to 1. */
  weights(query: Vector, keys: Matrix, options?: SingleOptions): Promise<Float32Array>;
  /** Weights of a batch -> Float32Array(m·n), row-major. */
  weightsBatch(queries: Matrix, keys: Matrix, options?: BatchOptions): Promise<Float32Array>;
  /** Per-head weights -> Float32Array(heads·m·n). */
  headWeightsBatch(queries: Matrix, keys: Matrix, options?: BatchOptions): Promise<Float32Array>;
  dispose(): Promise<void>;
}

export interface Progress {
  /** 'pyodide' | 'numpy' | 'wheel' while booting, 'restart:…' for a replacement worker,
   * 'compute' as the chunks of a split batch finish. */
  phase: string;
  loaded: number;
  total: number;
}

export interface RuntimeOptions {
  /** Pool size; default: available parallelism. */
  workers?: number;
  /** Pyodide distribution; default: the local one assembled by the set-up. */
  indexURL?: string;
  /** Our wheel, when indexURL's lock does not list `ruvector-attention-py` (e.g. a CDN). */
  wheelURL?: string;
  onProgress?: (progress: Progress) => void;
}

export interface Runtime {
  readonly mechanisms: MechanismName[];
  readonly workers: number;
  create(name: MechanismName | (string & {}), config?: MechanismConfig): Promise<AttentionHandle>;
  /** Info and default config of a mechanism at query dimension `dim` (nothing is built). */
  describe(name: MechanismName | (string & {}), shape: { dim: number }): Promise<MechanismInfo>;
  /** Copy a matrix into every worker once; pass the result as keys or values afterwards.
   * A flat Float32Array needs `rows` or `cols`. */
  upload(matrix: Matrix, shape?: { rows?: number; cols?: number }): Promise<ResidentMatrix>;
  /** wasm and JS heap bytes of each worker. */
  memory(): Promise<{ wasm: number; jsHeap: number }[]>;
  close(): Promise<void>;
}

export declare function createRuntime(options?: RuntimeOptions): Promise<Runtime>;

export declare class AttentionError extends Error {
  details: Record<string, unknown>;
}
export declare class DimensionMismatchError extends AttentionError {
  details: { expected: number | number[]; actual: number | number[] };
}
export declare class EmptyInputError extends AttentionError {
  details: { context: string };
}
export declare class InvalidInputError extends AttentionError {
  details: { details: string };
}
export declare class InputTooLargeError extends AttentionError {
  details: { max: number; actual: number };
}
export declare class InvalidConfigError extends AttentionError {
  details: { reason: string };
}
export declare class UnknownMechanismError extends AttentionError {
  details: { name: string; choices: string[] };
}
/** A worker stopped; only its in-flight requests fail, and it is replaced. */
export declare class WorkerCrashedError extends AttentionError {}
export declare class RuntimeClosedError extends AttentionError {}
/** A package (numpy, our wheel) could not be loaded from the distribution. */
export declare class PackageLoadError extends AttentionError {
  details: { packages: string[]; messages: string[] };
}
