// web/demo/special.mjs: the demo's panels of what only this library computes, for the
// current mechanism and input, through the runtime.
import type { Payload } from '../visualizer/special.mjs';

/** What web/demo/special.mjs's drawSpecialViews reads: the demo's current mechanism and input. */
export interface SpecialContext {
  rt: { create(name: string, config?: object): Promise<MechanismHandle> };
  handle: MechanismHandle;
  name: string;
  config: Record<string, unknown>;   // camelCase, as handle.info.config
  queries: Float32Array;             // rows·dim
  keys: Float32Array;                // cols·dim
  values?: Float32Array;
  rows: number;
  cols: number;
  dim: number;
  tokens?: string[];
  mask?: boolean[] | boolean[][] | null;
  causal?: boolean;
  /** Per-call inputs (hnsw_aware, structural), passed to weightsBatch. */
  extras?: object;
  /** weightsBatch(queries, keys) if already computed (rows·cols). */
  weights?: Float32Array;
  /** The query the Poincaré disk shows (default 0). */
  queryRow?: number;
  /** The colour map of the disk and the plan (default viridis). */
  palette?: 'viridis' | 'cividis';
}

/** What the panels need of a mechanism handle (web/core/handle.mjs's AttentionHandle). */
export interface MechanismHandle {
  info: { name: string; dim: number; config: Record<string, unknown> };
  weights(query: Float32Array, keys: Float32Array, options?: { mask?: boolean[] }): Promise<Float32Array>;
  weightsBatch(queries: Float32Array, keys: Float32Array, options?: { mask?: unknown; causal?: boolean; extras?: object }): Promise<Float32Array>;
  dispose(): Promise<void>;
}

export declare const GRAPH_MECHANISMS: string[];
/** The payloads of the panels that apply to mechanism `ctx.name` (none: []). */
export declare function specialPayloads(ctx: SpecialContext): Promise<Payload[]>;
/** Clear `container` and draw the panels that apply to `ctx.name`; resolves to their payloads. */
export declare function drawSpecialViews(container: HTMLElement, ctx: SpecialContext): Promise<Payload[]>;
/** centroid_ot's transport plan from its weights of the keys as queries (n·n): P_ij = (1/n) Σ_{k in cluster j} w_ik. */
export declare function planFromWeights(weights: ArrayLike<number>, n: number): { plan: number[][]; masses: number[]; members: number[][] };
/** topology_gated's mode from its weights and the softmax of its scores. */
export declare function modeOf(weights: Float32Array, stable: number[]): 'stable' | 'cautious' | 'freeze';
