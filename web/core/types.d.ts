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

/** Options every call that runs in a worker takes. */
export interface CallOptions {
  /** Abort the call: it rejects with AbortError (TimeoutError if the signal's reason is one,
   * as with AbortSignal.timeout); if it is running, its worker is replaced. */
  signal?: AbortSignal;
  /** Time limit once running in a worker (overrides `requestTimeoutMs`); past it the call
   * rejects with TimeoutError and its worker is replaced. */
  timeoutMs?: number;
}

export interface SingleOptions extends CallOptions {
  mask?: Mask;
  /** Query position for position-aware mechanisms (`local_global`; default n/2). */
  position?: number;
  /** The mechanism's other per-call inputs, e.g. `{ distances }` (rope), `{ edgeFeatures }`. */
  extras?: Record<string, unknown>;
}

export interface BatchOptions extends CallOptions {
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
  /** Pyodide's core (pyodide.mjs, pyodide.asm.wasm, python_stdlib.zip); default
   * DEFAULT_INDEX_URL: the `pyodide` npm dependency. */
  indexURL?: string | URL;
  /** A folder with a pyodide-lock.json naming numpy and `ruvector-attention-py` and their
   * wheels; default DEFAULT_PACKAGES_URL: this package's wheels/. */
  packagesURL?: string | URL;
  /** Another build of our wheel, installed instead of the one in packagesURL. */
  wheelURL?: string | URL;
  onProgress?: (progress: Progress) => void;
  /** Default time limit of a call once running in a worker (default: none). A call past it
   * rejects with TimeoutError; its worker is terminated and replaced (its mechanisms and
   * uploads are recreated there when next needed). */
  requestTimeoutMs?: number;
  /** Bytes of WebAssembly memory past which a worker is replaced after its call (WebAssembly
   * memory never shrinks). Default DEFAULT_MAX_WORKER_MEMORY (1 GiB); Infinity: never. */
  maxWorkerMemory?: number;
}

export interface Runtime {
  readonly mechanisms: MechanismName[];
  /** Workers in service (one being replaced is back once its replacement has booted). */
  readonly workers: number;
  /** Whether inputs sent to several workers travel in SharedArrayBuffers. */
  readonly sharedMemory: boolean;
  /** Build a mechanism: checked and built in one worker (a config Python refuses rejects
   * once, and nothing is kept), then in others when a call first runs there. */
  create(name: MechanismName | (string & {}), config?: MechanismConfig, options?: CallOptions): Promise<AttentionHandle>;
  /** Info and default config of a mechanism at query dimension `dim` (nothing is built). */
  describe(name: MechanismName | (string & {}), options: { dim: number } & CallOptions): Promise<MechanismInfo>;
  /** Keep a matrix in the workers (validated once); pass the result as keys or values
   * afterwards. A flat Float32Array needs `rows` or `cols`. */
  upload(matrix: Matrix, options?: { rows?: number; cols?: number } & CallOptions): Promise<ResidentMatrix>;
  /** wasm and JS heap bytes of each worker in service. */
  memory(): Promise<{ wasm: number; jsHeap: number }[]>;
  close(): Promise<void>;
}

/** Start a pool of Pyodide workers; rejects with InvalidConfigError for bad options. */
export declare function createRuntime(options?: RuntimeOptions): Promise<Runtime>;

/** The default `maxWorkerMemory`: 1 GiB. */
export declare const DEFAULT_MAX_WORKER_MEMORY: number;

export declare class AttentionError extends Error {
  constructor(message: string, details?: Record<string, unknown>, options?: { cause?: unknown });
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
/** A message a worker could not run (unknown op or method, malformed): a bug, not bad input. */
export declare class ProtocolError extends AttentionError {
  details: { op?: string; method?: string };
}
/** A package (numpy, our wheel) could not be loaded from the distribution. */
export declare class PackageLoadError extends AttentionError {
  details: { packages: string[]; messages: string[] };
}
/** The call's signal aborted; `cause` is the signal's reason. Its worker, if it was running
 * the call, is replaced. */
export declare class AbortError extends AttentionError {
  cause?: unknown;
}
/** The call ran past `timeoutMs` / `requestTimeoutMs` (details.timeoutMs), or its signal's
 * reason was a TimeoutError (then `cause`). Its worker is replaced. */
export declare class TimeoutError extends AttentionError {
  details: { timeoutMs?: number };
  cause?: unknown;
}
