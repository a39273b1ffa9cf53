// ruvector-attention-py/visualizer: attention views on canvas and SVG (plain DOM, no framework).

/** What AttentionVisualizer.render draws: one layer's weights (heads·rows·cols), e.g. from attn.headWeightsBatch. */
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
  /** One flag per key: false = masked (drawn as hidden). */
  mask?: ArrayLike<boolean | number> | null;
  /** Query i sees keys j <= i only; the others are drawn as hidden. */
  causal?: boolean;
  /** 1 per hidden cell (rows·cols); overrides mask and causal. */
  hidden?: Uint8Array | null;
}

/** What AttentionExplorer.render draws: a stack of layers, (layers·heads·rows·cols). */
export interface ExplorerData extends Omit<VisualizerData, 'weights'> {
  attentions: Float32Array;
  layers?: number;
}

/** The two maps CompareView shows, (rows·cols) each. */
export interface CompareData {
  a: Float32Array;
  b: Float32Array;
  rows: number;
  cols: number;
  xLabels?: string[];
  yLabels?: string[];
  hidden?: Uint8Array | null;
  titleA: string;
  titleB: string;
  note?: string;
}

/** What MatrixView.setData draws: one (rows·cols) matrix, rows = queries, columns = keys. */
export interface MatrixData {
  values: Float32Array;
  rows: number;
  cols: number;
  xLabels?: string[];
  yLabels?: string[];
  hidden?: Uint8Array | null;
  /** The values at the palette's ends (default: the smallest and largest visible value). */
  range?: [number, number];
  palette?: PaletteName;
  legendTitle?: string;
  title?: string;
}

export type PaletteName = 'viridis' | 'cividis' | 'diverging';
export type ThemeName = 'light' | 'dark';
export type ViewName = 'matrix' | 'heads' | 'model' | 'rollout' | 'compare';

export interface Theme {
  background: string;
  text: string;
  muted: string;
  hidden: [number, number, number];
  hatch: [number, number, number];
  focus: string;
  link: string;
}

/** The sequential palettes a user may pick: viridis and cividis (colour-blind safe). */
export declare const PALETTES: readonly ['viridis', 'cividis'];
export declare const THEMES: { light: Theme; dark: Theme };
/** The explorer's views, in tab order. */
export declare const VIEWS: readonly ViewName[];

/** Colour of t in [0, 1] on a palette as [r, g, b]. */
export declare function colour(name: PaletteName, t: number): [number, number, number];
/** Viridis colour of t in [0, 1] as [r, g, b] (the same map as ra.viz.heatmap). */
export declare function viridis(t: number): [number, number, number];
/** The nearest data-theme attribute, else the system's prefers-color-scheme. */
export declare function themeOf(element: Element): ThemeName;

/** The (rows·cols) weights of one head, or their mean over heads for head = 'mean'. */
export declare function headView(weights: Float32Array, shape: { heads: number; rows: number; cols: number }, head: number | 'mean'): Float32Array;
/** The (heads·rows·cols) weights of one layer of (layers·heads·rows·cols) attentions. */
export declare function layerOf(attentions: Float32Array, shape: { heads: number; rows: number; cols: number }, layer: number): Float32Array;
/** 1 where a query cannot see a key (masked key, or later key under causal order); null when none is hidden. */
export declare function hiddenCells(shape: { rows: number; cols: number; mask?: ArrayLike<boolean | number> | null; causal?: boolean }): Uint8Array | null;
/** Smallest and largest value over the cells not hidden. */
export declare function rangeOf(values: Float32Array, hidden?: Uint8Array | null): [number, number];
/** Attention rollout (Abnar & Zuidema 2020) to every layer, (layers·n·n). */
export declare function rollout(attentions: Float32Array, shape: { layers: number; heads: number; rows: number; cols: number }, options?: { head?: number | 'mean'; residual?: number }): Float32Array;
/** A − B, elementwise. */
export declare function difference(a: Float32Array, b: Float32Array): Float32Array;
/** [−m, m] with m the largest |value|. */
export declare function symmetricRange(values: Float32Array, hidden?: Uint8Array | null): [number, number];

/** One matrix as a heatmap: HiDPI, pan and zoom, hover values, keyboard navigation. */
export declare class MatrixView {
  /** format: how hover and the live region write a value (default: 6 decimals). */
  constructor(container: HTMLElement, options?: { palette?: PaletteName; legendTitle?: string; format?: (value: number) => string });
  readonly canvas: HTMLCanvasElement;
  readonly legend: HTMLCanvasElement;
  readonly data: (MatrixData & { xLabels: string[]; yLabels: string[] }) | null;
  readonly range: [number, number];
  readonly palette: PaletteName;
  readonly theme: Theme;
  readonly zoom: number;
  /** Top-left visible cell, [row, col] (fractional). */
  readonly origin: [number, number];
  /** The keyboard's cell, [row, col]. */
  readonly focus: [number, number] | null;
  setData(data: MatrixData): void;
  setPalette(name: PaletteName): void;
  draw(): void;
  /** Canvas backing-store pixel at the centre of cell (row, col). */
  cellCenter(row: number, col: number): [number, number];
  cellAt(clientX: number, clientY: number): [number, number] | null;
  describe(row: number, col: number): string;
  zoomBy(factor: number, x?: number, y?: number): void;
  panBy(dx: number, dy: number): void;
  fit(): void;
  focusCell(row: number, col: number): void;
  toPNG(): Promise<Blob>;
}

/** One layer (heads·rows·cols) in the matrix view, with head and palette selectors and PNG export. */
export declare class AttentionVisualizer {
  constructor(container: HTMLElement, options?: { toolbar?: HTMLElement });
  render(data: VisualizerData): void;
  readonly matrix: MatrixView;
  readonly canvas: HTMLCanvasElement;
  readonly hidden: Uint8Array | null;
  /** The head on screen, or 'mean'. */
  head: number | 'mean';
  palette: PaletteName;
  /** The weights on screen, (rows·cols). */
  readonly view: Float32Array;
  /** Canvas backing-store pixel at the centre of cell (row, col). */
  cellCenter(row: number, col: number): [number, number];
  redraw(): void;
  /** The heatmap as a PNG Blob. */
  toPNG(): Promise<Blob>;
  /** Save the heatmap as attention.png. */
  download(): Promise<void>;
}

/** Lines from query tokens to key tokens, opacity = weight / max weight (bertviz's head view). */
export declare class HeadView {
  constructor(container: HTMLElement);
  setData(data: { values: Float32Array; rows: number; cols: number; xLabels: string[]; yLabels: string[]; hidden?: Uint8Array | null; title?: string }): void;
}

/** Layers x heads thumbnails; a click selects one. */
export declare class ModelView {
  constructor(container: HTMLElement, options?: { onSelect?: (layer: number, head: number) => void; palette?: PaletteName });
  setData(data: { attentions: Float32Array; layers: number; heads: number; rows: number; cols: number; hidden?: Uint8Array | null; selected?: [number, number] | null; title?: string }): void;
  select(layer: number, head: number): void;
  draw(): void;
  /** How long the last draw took, in ms. */
  readonly paintMs: number;
  palette: PaletteName;
}

/** Two maps side by side on one range, and their difference on a symmetric diverging range. */
export declare class CompareView {
  constructor(container: HTMLElement);
  readonly a: MatrixView;
  readonly b: MatrixView;
  readonly diff: MatrixView;
  setData(data: CompareData): void;
  redraw(): void;
}

/** The views of a stack of attention layers behind tabs, sharing a layer, a head and a palette. */
export declare class AttentionExplorer {
  constructor(container: HTMLElement, options?: { onChange?: (state: { view: ViewName; layer: number; head: number | 'mean'; palette: PaletteName }) => void });
  readonly matrix: AttentionVisualizer;
  readonly heads: HeadView;
  readonly model: ModelView;
  readonly rollout: MatrixView;
  readonly comparison: CompareView;
  readonly view: ViewName;
  readonly layer: number;
  /** The rollout on screen (rows·cols), after the rollout view was shown. */
  readonly rolledOut?: Float32Array;
  palette: PaletteName;
  render(data: ExplorerData): void;
  compare(data: CompareData): void;
  open(layer: number, head: number | 'mean'): void;
  show(view: ViewName): void;
  redraw(): void;
}
