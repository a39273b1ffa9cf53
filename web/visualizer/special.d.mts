// ruvector-attention-py/visualizer/special: the views only this library can draw
// (special.mjs and the modules it re-exports), from plain payloads.

/** A matrix as a flat row-major array or an array of rows. */
export type Matrix = Float32Array | number[] | number[][];

/** Keys and a query in the Poincaré ball (curvature < 0), with the query's weights over the keys. */
export interface PoincarePayload {
  view: 'poincare';
  keys: Float32Array | number[];          // n·dim, row-major
  query: Float32Array | number[];         // dim
  dim: number;
  curvature: number;                      // negative: the ball has radius 1/√(-curvature)
  weights: number[];                      // n
  labels?: string[];
  queryLabel?: string;
  /** Other queries one may pick instead (a select above the disk). */
  others?: { label: string; query: number[]; weights: number[] }[];
  title?: string;
}

/** Gates per token and expert (m × E, zeros where a token is not routed), e.g. from moe.routing(). */
export interface RoutingPayload {
  view: 'routing';
  experts: string[];
  tokens: string[];
  gates: number[][];
  /** The batch's routing under expert capacity (compute_batch's last_stats). */
  batch?: {
    gates: number[][];
    capacity: number | null;
    tokensPerExpert: number[];
    rerouted: number;
    dropped: number;
    overCapacity: number;
  };
  title?: string;
}

/** A transport plan (keys × centroids) and the centroids' masses. */
export interface TransportPayload {
  view: 'transport';
  plan: number[][];
  masses?: number[];
  labels?: string[];
  title?: string;
}

/** Attention weights (rows × cols) drawn as a graph. */
export interface GraphPayload {
  view: 'graph';
  weights: Matrix;
  rows: number;
  cols: number;
  labels?: string[];
  /** Edges drawn per query (default 3). */
  perNode?: number;
  title?: string;
}

export type Mode = 'stable' | 'cautious' | 'freeze';

/** topology_gated over a sliding window: the mode (and coherence, when known) after the window ending at `end`. */
export interface TopologyPayload {
  view: 'topology';
  windows: { end: number; mode: Mode; coherence: number | null }[];
  window: number;
  thresholds: { stable: number; cautious: number; freeze: number };
  labels?: string[];
  title?: string;
}

/** GeometryReport.to_dict() and why the recommendation was made. */
export interface ReportPayload {
  view: 'report';
  health_score: number;
  recommendation: 'standard' | 'sparse' | 'geometric' | 'diffusion';
  sequence_length: number | null;
  metrics: { type: string; value: number; status: 'healthy' | 'warning' | 'critical' }[];
  why?: string;
  title?: string;
}

export type Payload = PoincarePayload | RoutingPayload | TransportPayload | GraphPayload | TopologyPayload | ReportPayload;

/** How the views draw: the colour map of the disk and the plan ('viridis' or 'cividis'). */
export interface DrawOptions {
  palette?: 'viridis' | 'cividis';
}

export declare function drawPoincare(container: HTMLElement, payload: PoincarePayload, options?: DrawOptions): HTMLElement;
export declare function drawRouting(container: HTMLElement, payload: RoutingPayload): HTMLElement;
export declare function drawTransport(container: HTMLElement, payload: TransportPayload, options?: DrawOptions): HTMLElement;
export declare function drawGraph(container: HTMLElement, payload: GraphPayload): HTMLElement;
export declare function drawTopology(container: HTMLElement, payload: TopologyPayload): HTMLElement;
export declare function drawReport(container: HTMLElement, payload: ReportPayload): HTMLElement;
export declare const VIEWS: Readonly<{ [V in Payload['view']]: (container: HTMLElement, payload: Extract<Payload, { view: V }>, options?: DrawOptions) => HTMLElement }>;
/** Clear `container` and draw one panel per payload. */
export declare function drawViews(container: HTMLElement, payloads: Payload[], options?: DrawOptions): HTMLElement;
export declare function ensureStyles(doc?: Document): void;

/** Disk coordinates (radius = √c·|x| < 1, the distance to the centre kept) of `count` points of `dim`. */
export declare function diskLayout(points: ArrayLike<number>, count: number, dim: number, c: number): { x: Float64Array; y: Float64Array; radius: Float64Array };
/** The edges the graph view draws: each row's heaviest off-diagonal weights, opacity = weight / the largest. */
export declare function graphEdges(weights: ArrayLike<number>, rows: number, cols: number, perNode?: number): { from: number; to: number; weight: number; opacity: number }[];
export declare function marginals(plan: number[][]): { rows: number[]; cols: number[] };
