// The demo page: any registered mechanism, a config form generated from its defaults,
// tokens as vectors, causal order and key masks, the visualizer, and per-call timings.
import { createRuntime } from '../index.mjs';
import { AttentionVisualizer } from '../visualizer/visualizer.mjs';

const $ = (id) => document.getElementById(id);
const visualizer = new AttentionVisualizer($('visualizer'));
const state = { rt: null, keyMask: [] };

function status(text, loaded, total) {
  $('status-text').textContent = text;
  if (total) $('boot').value = loaded / total;
}

function time(label, ms) {
  const row = document.createElement('tr');
  row.innerHTML = `<td></td><td>${ms.toFixed(1)}</td>`;
  row.firstChild.textContent = label;
  $('timing-rows').prepend(row);
}

async function timed(label, promise) {
  const start = performance.now();
  const result = await promise;
  time(label, performance.now() - start);
  return result;
}

function showError(err) {
  const box = $('error');
  box.hidden = !err;
  if (err) {
    const details = err.details && Object.keys(err.details).length ? `\n${JSON.stringify(err.details)}` : '';
    box.textContent = `${err.name}: ${err.message}${details}`;
    box.dataset.name = err.name;
  }
}

// ------------------------------------------------------------------ token vectors

function hash(text) { // FNV-1a, 32 bits
  let h = 0x811c9dc5;
  for (const ch of text) h = Math.imul(h ^ ch.codePointAt(0), 0x01000193) >>> 0;
  return h;
}

function normals(seed, n) { // mulberry32 + Box-Muller
  let s = seed >>> 0;
  const uniform = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 4294967296;
  };
  return Float32Array.from({ length: n }, () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform()));
}

/** One row per token: hashed (the same token gives the same vector) or random; scaled to `norm`. */
function tokenVectors(tokens, dim, seed, mode, norm) {
  const data = new Float32Array(tokens.length * dim);
  tokens.forEach((token, i) => {
    const row = normals(mode === 'hashed' ? hash(`${seed}:${token}`) : hash(`${seed}:${i}:${Math.random()}`), dim);
    const length = Math.hypot(...row) || 1;
    data.set(row.map((x) => (x * norm) / length), i * dim);
  });
  return data;
}

// ------------------------------------------------------------------ config form

function configField(key, value) {
  const label = document.createElement('label');
  label.textContent = key;
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

// ------------------------------------------------------------------ graph inputs

/** A key's HNSW level from its token's hash: level l with probability 4^-l, as an index of
 * M = 4 draws them (capped below the mechanism's maxLayers). */
function hnswLevel(token, maxLayers) {
  let level = 0;
  for (let h = hash(`level:${token}`); (h & 3) === 0 && level < maxLayers - 1; h >>>= 2) level++;
  return level;
}

/** Per-key structural features of the tokens' similarity graph (keys joined when their
 * cosine is positive): degree, mean and largest cosine to the others, then zeros. */
function structuralFeatures(x, n, dim, count) {
  const norm = (i) => Math.hypot(...x.subarray(i * dim, (i + 1) * dim)) || 1;
  const cosine = (i, j) => {
    let dot = 0;
    for (let k = 0; k < dim; k++) dot += x[i * dim + k] * x[j * dim + k];
    return dot / (norm(i) * norm(j));
  };
  return Array.from({ length: n }, (_, i) => {
    const others = Array.from({ length: n }, (__, j) => j).filter((j) => j !== i).map((j) => cosine(i, j));
    const features = [others.filter((c) => c > 0).length / Math.max(n - 1, 1),
      others.reduce((a, c) => a + c, 0) / Math.max(others.length, 1), Math.max(0, ...others)];
    return Array.from({ length: count }, (__, f) => features[f] ?? 0);
  });
}

/** The per-call inputs a graph mechanism takes, made from the tokens so it shows something. */
function graphInputs(info, words, x) {
  if (info.name === 'hnsw_aware') return { hnswLayers: words.map((word) => hnswLevel(word, info.config.maxLayers)) };
  if (info.name === 'structural') return { structuralFeatures: structuralFeatures(x, words.length, info.dim, info.config.numFeatures) };
  return undefined;
}

// ------------------------------------------------------------------ tokens and masks

function tokens() {
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

// ------------------------------------------------------------------ run

async function run(event) {
  event?.preventDefault();
  showError(null);
  $('run').disabled = true;
  let attn = null;
  try {
    const words = tokens();
    const config = readConfig();
    attn = await timed(`create ${$('mechanism').value}`, state.rt.create($('mechanism').value, config));
    const dim = attn.info.dim;
    const x = tokenVectors(words, dim, Number($('seed').value), $('vectors').value, Number($('norm').value));
    const options = { causal: $('causal').checked, mask: state.keyMask, extras: graphInputs(attn.info, words, x) };
    const output = await timed('computeBatch', attn.computeBatch(x, x, x, options));
    const weights = await timed('headWeightsBatch', attn.headWeightsBatch(x, x, options));
    const heads = weights.length / (words.length * words.length);
    visualizer.render({
      weights, heads, rows: words.length, cols: words.length, xLabels: words, yLabels: words,
      title: `${attn.info.name} · ${words.length} tokens`, complexity: attn.info.complexity,
      output, outputDim: output.length / words.length,
    });
    document.body.dataset.ran = String(Number(document.body.dataset.ran ?? 0) + 1);
  } catch (err) {
    showError(err);
  } finally {
    await attn?.dispose();
    $('run').disabled = false;
  }
}

async function main() {
  const start = performance.now();
  state.rt = await createRuntime({
    workers: 2,
    onProgress: ({ phase, loaded, total }) => {
      if (phase !== 'compute') status(`booting Python: ${phase} (${loaded}/${total})`, loaded, total);
    },
  });
  time('boot 2 workers', performance.now() - start);
  status(`ready · ${state.rt.workers} workers`, 1, 1);
  $('env').textContent = `crossOriginIsolated: ${globalThis.crossOriginIsolated}; ${state.rt.sharedMemory ? 'SharedArrayBuffer' : 'transferables'}`;
  $('mechanism').replaceChildren(...state.rt.mechanisms.map((name) => new Option(name, name, name === 'multi_head', name === 'multi_head')));
  $('mechanism').disabled = false;
  $('mechanism').addEventListener('change', loadForm);
  $('dim').addEventListener('change', loadForm);
  $('tokens').addEventListener('input', renderKeyMask);
  $('controls').addEventListener('submit', run);
  renderKeyMask();
  await loadForm();
  $('run').disabled = false;
  document.body.dataset.ready = 'true';
  await run();
}

window.demo = { state, visualizer, tokenVectors };
main().catch((err) => {
  status('failed to start', 0, 1);
  showError(err);
});
