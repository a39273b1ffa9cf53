// The demo page: the attention explorer on any registered mechanism (typed text, random
// vectors or your own arrays, a config form generated from its defaults, causal order,
// key masks, a stack of layers), or on a real model (all-MiniLM-L6-v2, whose layers can be
// swapped for any mechanism and compared); per-call timings, progress and cancel, errors,
// and the whole state in the URL. The views of what only a mechanism computes come from
// special.mjs and reading array files from inputs.mjs, when those are present.
import { createRuntime } from '../index.mjs';
import { AttentionExplorer, headView, layerOf, themeOf } from '../visualizer/visualizer.mjs';
import { readState, writeState } from './url-state.mjs';
import { defaultNorm, graphInputs, scaleRows, tokenVectors } from './vectors.mjs';

const $ = (id) => document.getElementById(id);
const MODEL_URL = '/models/all-MiniLM-L6-v2.zip';
/** Config fields that share a name with a control of the call or the vectors. */
const CONFIG_LABELS = { seed: 'config seed (weights)', causal: 'causal (config)' };

const explorer = new AttentionExplorer($('explorer'), { onChange: ({ layer }) => followLayer(layer) });
const state = { rt: null, keyMask: [], arrays: null, model: null, encoded: null, controller: null, restoring: true };

// ------------------------------------------------------------------ status, timings, errors

function status(text, loaded, total) {
  $('status-text').textContent = text;
  if (total) $('boot').value = loaded / total;
}

function time(label, ms) {
  const row = document.createElement('tr');
  row.append(Object.assign(document.createElement('td'), { textContent: label }),
    Object.assign(document.createElement('td'), { textContent: ms.toFixed(1) }));
  $('timing-rows').prepend(row);
}

async function timed(label, promise) {
  const start = performance.now();
  const result = await promise;
  time(label, performance.now() - start);
  return result;
}

const plain = (value) => (typeof value === 'string' ? value : JSON.stringify(value));

/** `Name: message` once; the details (other than the message again) as a list. */
function showError(err) {
  const box = $('error');
  box.hidden = !err;
  box.replaceChildren();
  if (!err) return;
  const name = err.name || 'Error';
  box.dataset.name = name;
  box.append(Object.assign(document.createElement('strong'), { textContent: `${name}: ` }), String(err.message));
  const details = err.details && typeof err.details === 'object' ? Object.entries(err.details)
    .filter(([, v]) => v !== undefined && plain(v) !== err.message) : [];
  if (details.length) {
    const list = document.createElement('ul');
    list.append(...details.map(([k, v]) => Object.assign(document.createElement('li'), { textContent: `${k}: ${plain(v)}` })));
    box.append(list);
  }
}

function progress(text, fraction) {
  $('progress').hidden = text === null;
  $('progress-text').textContent = text ?? '';
  $('progress-bar').value = fraction ?? 0;
}

// ------------------------------------------------------------------ the form

const kind = () => $('input-kind').value;

function configField(key, value) {
  const label = document.createElement('label');
  label.textContent = CONFIG_LABELS[key] ?? key;
  const input = document.createElement('input');
  input.name = key;
  if (typeof value === 'boolean') {
    input.type = 'checkbox';
    input.checked = value;
  } else if (typeof value === 'number') {
    input.type = 'number';
    input.step = 'any';
    input.value = String(value);
  } else {
    input.value = value === null ? '' : typeof value === 'string' ? value : JSON.stringify(value);
    input.placeholder = value === null ? 'default' : '';
    input.dataset.json = typeof value === 'string' ? 'false' : 'true';
  }
  label.append(input);
  return label;
}

function readConfig() {
  const config = $('dim').disabled ? {} : { dim: Number($('dim').value) };
  for (const input of $('config').querySelectorAll('input')) {
    if (input.type === 'checkbox') config[input.name] = input.checked;
    else if (input.type === 'number') config[input.name] = input.value === '' ? null : Number(input.value);
    else if (input.value === '') config[input.name] = null;
    else config[input.name] = input.dataset.json === 'true' ? JSON.parse(input.value) : input.value;
  }
  return config;
}

function writeConfig(config) {
  for (const input of $('config').querySelectorAll('input')) {
    if (!(input.name in config)) continue;
    const value = config[input.name];
    if (input.type === 'checkbox') input.checked = Boolean(value);
    else if (value === null) input.value = '';
    else input.value = typeof value === 'string' && input.dataset.json !== 'true' ? value : input.type === 'number' ? String(value) : JSON.stringify(value);
  }
}

async function loadForm() {
  showError(null);
  try {
    const info = await state.rt.describe($('mechanism').value, { dim: Number($('dim').value) });
    $('config').replaceChildren(...Object.entries(info.config).filter(([key]) => key !== 'dim').map(([k, v]) => configField(k, v)));
    // mechanisms whose dim is the sum of other fields (mixed_curvature) take it from those
    $('dim').disabled = !('dim' in info.config);
    $('dim').value = String(info.dim);
    $('config').dataset.mechanism = info.name;
  } catch (err) {
    showError(err);
  }
}

function normHint() {
  const name = $('mechanism').value;
  $('norm-hint').textContent = defaultNorm(name) < 1
    ? `${name} takes points inside the Poincaré ball: keep the norm below 1.` : '';
}

/** Show the controls that mean something for the input kind. */
function showControls() {
  const k = kind();
  const shown = {
    text: k === 'hashed' || k === 'random' || k === 'model', file: k === 'file', vectors: k === 'hashed' || k === 'random',
    mechanism: k !== 'model', call: k !== 'model', model: k === 'model',
  };
  for (const node of document.querySelectorAll('[data-for]')) node.hidden = !shown[node.dataset.for];
  $('compare-legend').textContent = k === 'model' ? 'Swap a layer' : 'Compare';
  $('compare').textContent = k === 'model' ? 'Swap in and compare' : 'Compare';
}

// ------------------------------------------------------------------ tokens and masks

function tokens() {
  if (kind() === 'file') return state.arrays ? Array.from({ length: state.arrays.shape[0] }, (_, i) => String(i)) : [];
  return $('tokens').value.split(/\s+/).filter(Boolean);
}

function renderKeyMask() {
  const words = tokens();
  state.keyMask = words.map((_, j) => state.keyMask[j] ?? true);
  state.keyMask.length = words.length;
  $('key-mask').replaceChildren(...words.map((word, j) => {
    const chip = document.createElement('button');
    chip.type = 'button';
    chip.textContent = word;
    chip.setAttribute('aria-pressed', String(state.keyMask[j]));
    chip.title = 'click to mask or unmask this key';
    chip.addEventListener('click', () => {
      state.keyMask[j] = !state.keyMask[j];
      chip.setAttribute('aria-pressed', String(state.keyMask[j]));
    });
    return chip;
  }));
}

// ------------------------------------------------------------------ the URL

/** The model's swap layer follows the layer the user browses to (not while restoring a URL). */
function followLayer(layer) {
  if (!state.restoring && kind() === 'model' && layer !== state.browsedLayer) $('swap-layer').value = String(layer);
  state.browsedLayer = layer;
  saveState();
}

function saveState() {
  if (state.restoring) return;
  const config = (() => {
    try {
      return readConfig();
    } catch {
      return undefined;
    }
  })();
  writeState({
    input: kind(), mechanism: $('mechanism').value, dim: Number($('dim').value), config, text: $('tokens').value,
    vseed: Number($('vector-seed').value), norm: Number($('norm').value),
    mask: state.keyMask.flatMap((on, j) => (on ? [] : [j])), causal: $('causal').checked, layers: Number($('layers').value),
    view: explorer.view, layer: explorer.layer, head: explorer.matrix.head, palette: explorer.matrix.palette,
    swap: $('compare-mechanism').value, swapLayer: Number($('swap-layer').value),
    theme: document.documentElement.dataset.theme,
  });
}

async function restoreState(saved) {
  if (saved.theme) setTheme(saved.theme);
  if (saved.input) $('input-kind').value = saved.input;
  if (saved.text !== undefined) $('tokens').value = saved.text;
  if (saved.vseed !== undefined) $('vector-seed').value = String(saved.vseed);
  if (saved.mechanism && state.rt.mechanisms.includes(saved.mechanism)) $('mechanism').value = saved.mechanism;
  if (saved.dim) $('dim').value = String(saved.dim);
  $('norm').value = String(saved.norm ?? defaultNorm($('mechanism').value));
  if (saved.causal !== undefined) $('causal').checked = saved.causal;
  if (saved.layers) $('layers').value = String(saved.layers);
  if (saved.swap && state.rt.mechanisms.includes(saved.swap)) $('compare-mechanism').value = saved.swap;
  if (saved.swapLayer !== undefined) $('swap-layer').value = String(saved.swapLayer);
  if (saved.palette) explorer.palette = saved.palette;
  await loadForm();
  if (saved.config) writeConfig(saved.config);
  renderKeyMask();
  for (const j of saved.mask ?? []) if (j < state.keyMask.length) state.keyMask[j] = false;
  renderKeyMask();
  showControls();
  normHint();
}

// ------------------------------------------------------------------ runs

/** Run `work(signal)` with the Run button off, Cancel on, and errors shown. */
async function guarded(work) {
  showError(null);
  state.controller = new AbortController();
  $('run').disabled = true;
  $('compare').disabled = true;
  $('cancel').disabled = false;
  try {
    await work(state.controller.signal);
    document.body.dataset.ran = String(Number(document.body.dataset.ran ?? 0) + 1);
  } catch (err) {
    if (err.name === 'AbortError') status('cancelled', 1, 1);
    showError(err);
  } finally {
    state.controller = null;
    progress(null);
    $('run').disabled = false;
    $('compare').disabled = false;
    $('cancel').disabled = true;
    saveState();
  }
}

/** The input rows (tokens, dim) for the mechanism `info`, from text, random or a file. */
function inputRows(info, words) {
  if (kind() !== 'file') return tokenVectors(words, info.dim, Number($('vector-seed').value), kind(), Number($('norm').value));
  const [n, d] = state.arrays.shape;
  if (d !== info.dim) {
    throw Object.assign(new Error(`the file's rows have ${d} values, ${info.name} was built for dim ${info.dim}: set dim to ${d}`), { name: 'DimensionMismatchError' });
  }
  return state.arrays.data.slice(0, n * d);
}

/** `layers` layers of `attn` on x, each x ← rescale(x + attn(x)): the stack's attentions. */
async function runStack(attn, x, words, layers, signal) {
  const { dim } = attn.info;
  const n = words.length;
  const norms = Array.from({ length: n }, (_, i) => Math.hypot(...x.subarray(i * dim, (i + 1) * dim)));
  const options = { causal: $('causal').checked, mask: state.keyMask, signal };
  let attentions = null;
  let output = null;
  let input = x;
  for (let l = 0; l < layers; l++) {
    if (layers > 1) progress(`layer ${l + 1} of ${layers}`, l / layers);
    const extras = graphInputs(attn.info, words, input);
    const suffix = layers > 1 ? ` (layer ${l})` : '';
    output = await timed(`computeBatch${suffix}`, attn.computeBatch(input, input, input, { ...options, extras }));
    const weights = await timed(`headWeightsBatch${suffix}`, attn.headWeightsBatch(input, input, { ...options, extras }));
    attentions ??= new Float32Array(layers * weights.length);
    attentions.set(weights, l * weights.length);
    if (l + 1 < layers && output.length === input.length) {
      const next = Float32Array.from(input, (v, k) => v + output[k]);
      for (let i = 0; i < n; i++) scaleRows(next.subarray(i * dim, (i + 1) * dim), dim, norms[i]);
      input = next;
    } else if (l + 1 < layers) {
      throw Object.assign(new Error(`${attn.info.name} returns rows of ${output.length / n} values, not dim ${dim}, so it cannot be stacked: use 1 layer`), { name: 'InvalidConfigError' });
    }
  }
  return { attentions, output, heads: attentions.length / (layers * n * n) };
}

async function runMechanism(signal) {
  const words = tokens();
  if (kind() === 'file' && !state.arrays) throw Object.assign(new Error('choose or drop a file of shape (tokens, dim) first'), { name: 'InputFileError' });
  const config = readConfig();
  const layers = Math.max(1, Math.min(8, Number($('layers').value) || 1));
  const attn = await timed(`create ${$('mechanism').value}`, state.rt.create($('mechanism').value, config));
  try {
    const x = inputRows(attn.info, words);
    const { attentions, output, heads } = await runStack(attn, x, words, layers, signal);
    explorer.render({
      attentions, layers, heads, rows: words.length, cols: words.length, xLabels: words, yLabels: words,
      mask: state.keyMask, causal: $('causal').checked,
      title: `${attn.info.name} · ${words.length} tokens`, complexity: attn.info.complexity,
      output, outputDim: output.length / words.length,
    });
    state.last = { name: attn.info.name, config, x, words, dim: attn.info.dim, attentions, heads, layers };
    await specialViews({ rt: state.rt, handle: attn, name: attn.info.name, config: attn.info.config, queries: x, keys: x, values: x,
      rows: words.length, cols: words.length, dim: attn.info.dim, tokens: words, mask: state.keyMask, causal: $('causal').checked,
      extras: graphInputs(attn.info, words, x) });
  } finally {
    await attn.dispose();
  }
}

async function loadModel(signal) {
  if (!state.model) {
    progress('loading all-MiniLM-L6-v2 (83 MB) in the workers…', 0);
    state.model = await timed('load model', state.rt.loadModel(MODEL_URL, { signal }));
    $('swap-layer').replaceChildren(...Array.from({ length: state.model.info.layers }, (_, l) => new Option(`layer ${l}`, String(l))));
  }
  return state.model;
}

async function runModel(signal) {
  const model = await loadModel(signal);
  progress('encoding…', 0.5);
  const text = $('tokens').value;
  const out = await timed(`encode ${text.length} chars`, model.encode(text, { signal }));
  const n = out.tokens.length;
  state.encoded = { text, ...out };
  explorer.render({
    attentions: out.attentions, layers: out.layers, heads: out.heads, rows: n, cols: n,
    xLabels: out.tokens, yLabels: out.tokens, title: `all-MiniLM-L6-v2 · ${n} tokens`,
  });
  $('special-views').replaceChildren();
}

/** Model: swap a layer's attention for the chosen mechanism. Vectors: run the second
 * mechanism on the same input. Either way, compare layer by layer in the compare view. */
async function runCompare(signal) {
  const other = $('compare-mechanism').value;
  const head = explorer.matrix.head;
  if (kind() === 'model') {
    if (!state.encoded || state.encoded.text !== $('tokens').value) await runModel(signal);
    const { tokens: words, attentions, heads, embedding } = state.encoded;
    const layer = Number($('swap-layer').value);
    progress(`encoding with ${other} in layer ${layer}…`, 0.5);
    const swapped = await timed(`encode, ${other} in layer ${layer}`, state.model.encode(state.encoded.text, { mechanism: other, layers: [layer], signal }));
    const n = words.length;
    const shape = { heads, rows: n, cols: n };
    const pick = (all) => headView(layerOf(all, shape, layer), shape, head);
    const cosine = embedding.reduce((s, v, k) => s + v * swapped.embedding[k], 0);
    const heading = head === 'mean' ? 'mean over heads' : `head ${head}`;
    state.swapped = { other, layer, cosine, attentions: swapped.attentions };
    explorer.compare({
      a: pick(attentions), b: pick(swapped.attentions), rows: n, cols: n, xLabels: words, yLabels: words,
      titleA: `original layer ${layer}, ${heading}`,
      titleB: `${other} in layer ${layer}, ${heading}`,
      note: `Sentence embedding: cosine to the original ${cosine.toFixed(6)}.`,
    });
  } else {
    if (!state.last) await runMechanism(signal);
    const { x, words, dim, attentions, heads, name } = state.last;
    const attn = await timed(`create ${other}`, state.rt.create(other, { dim }));
    try {
      const options = { causal: $('causal').checked, mask: state.keyMask, extras: graphInputs(attn.info, words, x), signal };
      const weights = await timed(`weightsBatch ${other}`, attn.weightsBatch(x, x, options));
      const n = words.length;
      const mean = headView(layerOf(attentions, { heads, rows: n, cols: n }, 0), { heads, rows: n, cols: n }, 'mean');
      explorer.compare({
        a: mean, b: weights, rows: n, cols: n, xLabels: words, yLabels: words,
        mask: state.keyMask, causal: $('causal').checked, hidden: explorer.matrix.hidden,
        titleA: `${name} (layer 0, weights)`, titleB: `${other} (default config, dim ${dim})`,
        note: `Both on the same ${n} input vectors.`,
      });
    } finally {
      await attn.dispose();
    }
  }
  explorer.show('compare');
}

// ------------------------------------------------------------------ the other engineer's modules

const optional = (path) => import(path).catch(() => null);

async function specialViews(ctx) {
  const section = $('special-views');
  const special = await optional('./special.mjs');
  if (!special?.drawSpecialViews) {
    section.replaceChildren();
    return;
  }
  try {
    await special.drawSpecialViews(section, ctx);
  } catch (err) {
    section.replaceChildren(Object.assign(document.createElement('p'), { className: 'hint', textContent: `special views: ${err.name}: ${err.message}` }));
  }
}

async function readFile(file) {
  showError(null);
  try {
    const inputs = await optional('./inputs.mjs');
    if (!inputs?.readArrayFile) throw Object.assign(new Error('reading array files is not in this build (web/demo/inputs.mjs)'), { name: 'InputFileError' });
    const array = await inputs.readArrayFile(file);
    if (array.shape.length !== 2) {
      throw Object.assign(new Error(`${array.name}: expected a 2-D array (tokens, dim), got shape (${array.shape.join(', ')})`), { name: 'InputFileError' });
    }
    state.arrays = array;
    $('file-name').textContent = `${array.name}: ${array.shape[0]} tokens × ${array.shape[1]} values`;
    $('input-kind').value = 'file';
    $('dim').value = String(array.shape[1]);
    showControls();
    await loadForm();
    renderKeyMask();
    await guarded(runMechanism);
  } catch (err) {
    showError(err);
  }
}

function listenForFiles() {
  const drop = $('file-drop');
  $('array-file').addEventListener('change', () => $('array-file').files[0] && readFile($('array-file').files[0]));
  // a file dropped anywhere on the page (the drop zone says where); drop bubbles to body once
  document.body.addEventListener('dragover', (event) => {
    event.preventDefault();
    drop.classList.add('dragging');
  });
  document.body.addEventListener('dragleave', () => drop.classList.remove('dragging'));
  document.body.addEventListener('drop', (event) => {
    event.preventDefault();
    drop.classList.remove('dragging');
    const file = event.dataTransfer?.files?.[0];
    if (file) readFile(file);
  });
}

// ------------------------------------------------------------------ theme and start

/** Use `theme` ('light' or 'dark'; null follows the system) and redraw. */
function setTheme(theme) {
  if (theme) document.documentElement.dataset.theme = theme;
  theme = themeOf(document.documentElement);
  $('theme').setAttribute('aria-pressed', String(theme === 'dark'));
  $('theme').textContent = theme === 'dark' ? 'Light theme' : 'Dark theme';
  explorer.redraw();
}

function run(event) {
  event?.preventDefault();
  return guarded(kind() === 'model' ? runModel : runMechanism);
}

async function main() {
  const start = performance.now();
  state.rt = await createRuntime({
    workers: 2,
    onProgress: ({ phase, loaded, total }) => {
      if (phase !== 'compute') status(`booting Python: ${phase} (${loaded}/${total})`, loaded, total);
      else if (state.controller) progress(`computing: ${loaded} of ${total} parts`, loaded / total);
    },
  });
  time('boot 2 workers', performance.now() - start);
  status(`ready · ${state.rt.workers} workers`, 1, 1);
  $('env').textContent = `crossOriginIsolated: ${globalThis.crossOriginIsolated}; ${state.rt.sharedMemory ? 'SharedArrayBuffer' : 'transferables'}`;
  const options = (selected) => state.rt.mechanisms.map((name) => new Option(name, name, name === selected, name === selected));
  $('mechanism').replaceChildren(...options('multi_head'));
  $('compare-mechanism').replaceChildren(...options('flash'));
  $('swap-layer').replaceChildren(...Array.from({ length: 6 }, (_, l) => new Option(`layer ${l}`, String(l))));
  $('mechanism').disabled = false;
  $('mechanism').addEventListener('change', async () => {
    $('norm').value = String(defaultNorm($('mechanism').value));
    normHint();
    await loadForm();
    saveState();
  });
  $('dim').addEventListener('change', loadForm);
  $('tokens').addEventListener('input', renderKeyMask);
  $('tokens').addEventListener('keydown', (event) => { // Enter runs, shift+Enter is a new line
    if (event.key !== 'Enter' || event.shiftKey) return;
    event.preventDefault();
    $('controls').requestSubmit();
  });
  $('input-kind').addEventListener('change', () => {
    showControls();
    renderKeyMask();
    saveState();
  });
  $('controls').addEventListener('submit', run);
  $('compare').addEventListener('click', () => guarded(runCompare));
  $('cancel').addEventListener('click', () => state.controller?.abort());
  $('theme').addEventListener('click', () => {
    setTheme($('theme').getAttribute('aria-pressed') === 'true' ? 'light' : 'dark');
    saveState();
  });
  globalThis.matchMedia?.('(prefers-color-scheme: dark)').addEventListener('change', () => setTheme(null)); // button and views follow
  listenForFiles();
  setTheme(null);
  const saved = readState();
  await restoreState(saved);
  $('run').disabled = false;
  $('compare').disabled = false;
  document.body.dataset.ready = 'true';
  await run();
  if (saved.layer !== undefined || saved.head !== undefined) explorer.open(saved.layer ?? explorer.layer, saved.head ?? explorer.matrix.head);
  explorer.show(saved.view ?? 'matrix');
  state.restoring = false;
  saveState();
}

window.demo = { state, explorer, visualizer: explorer.matrix, tokenVectors };
main().catch((err) => {
  status('failed to start', 0, 1);
  showError(err);
});
