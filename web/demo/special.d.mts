// web/demo/special.mjs: the demo's panels of what only this library computes, for the
// current mechanism and input, through the runtime.
import type { Payload } from '../visualizer/special.mjs';

/** What web/demo/special.mjs's drawSpecialViews reads: the demo's current mechanism and input. */
export interface SpecialContext {
  /** The mechanism's handle (web/core/handle.mjs): its views() makes the payloads. */
  handle: { views(queries: Float32Array, keys: Float32Array, options?: object): Promise<Payload[]> };
  queries: Float32Array;             // rows·dim
  keys: Float32Array;                // cols·dim
  rows: number;
  cols: number;
  tokens?: string[];
  mask?: boolean[] | boolean[][] | number[] | null;
  causal?: boolean;
  /** Per-call inputs (hnsw_aware, structural). */
  extras?: object;
  /** The query the Poincaré disk shows (default 0). */
  queryRow?: number;
  /** The colour map of the disk and the plan (default viridis). */
  palette?: 'viridis' | 'cividis';
}

/** The payloads of the panels of `ctx.handle`'s mechanism on the demo's input (handle.views). */
export declare function specialPayloads(ctx: SpecialContext): Promise<Payload[]>;

/** Clear `container` and draw those panels; resolves to their payloads. */
export declare function drawSpecialViews(container: HTMLElement, ctx: SpecialContext): Promise<Payload[]>;
