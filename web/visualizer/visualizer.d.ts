// ruvector-attention-py/visualizer: the attention-weight heatmap (plain DOM, no framework).

/** What render() draws: weights (heads·rows·cols), e.g. from attn.headWeightsBatch. */
export interface VisualizerData {
  weights: Float32Array;
  heads: number;
  rows: number;
  cols: number;
  xLabels?: string[];
  yLabels?: string[];
  title?: string;
  complexity?: string;
  output?: Float32Array;
  outputDim?: number;
}

/** Viridis colour of t in [0, 1] as [r, g, b] (the same map as ra.viz.heatmap). */
export declare function viridis(t: number): [number, number, number];

/** The (rows·cols) weights of one head, or their mean over heads for head = 'mean'. */
export declare function headView(weights: Float32Array, shape: { heads: number; rows: number; cols: number }, head: number | 'mean'): Float32Array;

export declare class AttentionVisualizer {
  constructor(container: HTMLElement);
  render(data: VisualizerData): void;
  /** The head on screen, or 'mean'. */
  readonly head: number | 'mean';
  /** The weights on screen, (rows·cols). */
  readonly view: Float32Array;
  /** Canvas pixel at the centre of cell (row, col). */
  cellCenter(row: number, col: number): [number, number];
  /** The heatmap as a PNG Blob. */
  toPNG(): Promise<Blob>;
  /** Save the heatmap as attention.png. */
  download(): Promise<void>;
}
