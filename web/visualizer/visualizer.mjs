// ruvector-attention-py/visualizer: attention views on canvas and SVG, plain DOM, no
// framework, no network. The matrix view (matrix-view.mjs), one layer with a head selector
// (attention-visualizer.mjs), the head view (head-view.mjs), the model view
// (model-view.mjs), rollout (rollout.mjs), comparison (compare.mjs), all behind tabs in
// the explorer (explorer.mjs); palettes and themes in palettes.mjs.
export { AttentionVisualizer } from './attention-visualizer.mjs';
export { CompareView, difference, symmetricRange } from './compare.mjs';
export { AttentionExplorer, VIEWS } from './explorer.mjs';
export { HeadView } from './head-view.mjs';
export { MatrixView } from './matrix-view.mjs';
export { ModelView } from './model-view.mjs';
export { PALETTES, THEMES, colour, themeOf, viridis } from './palettes.mjs';
export { rollout } from './rollout.mjs';
export { headView, hiddenCells, layerOf, rangeOf } from './weights.mjs';
