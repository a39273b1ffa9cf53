// The demo's whole state in the page URL's query string, so a view can be shared and
// restored: input kind, mechanism, dim, config (JSON), text, vector seed and norm, masked
// keys, causal order, stacked layers, the explorer's view, layer, head and palette, the
// comparison's mechanism and layer, and the theme.

/** The state's fields and how each is read back from its string. */
const FIELDS = {
  input: String, mechanism: String, dim: Number, config: (s) => JSON.parse(s), text: String,
  vseed: Number, norm: Number, mask: (s) => (s ? s.split(',').map(Number) : []), causal: (s) => s === '1',
  layers: Number, view: String, layer: Number, head: (s) => (s === 'mean' ? 'mean' : Number(s)),
  palette: String, swap: String, swapLayer: Number, theme: String,
};

const WRITE = { config: JSON.stringify, mask: (m) => m.join(','), causal: (c) => (c ? '1' : '0') };

/** The fields present in `search` (a malformed config is left out, not thrown). */
export function readState(search = globalThis.location.search) {
  const params = new URLSearchParams(search);
  const state = {};
  for (const [key, read] of Object.entries(FIELDS)) {
    if (!params.has(key)) continue;
    try {
      state[key] = read(params.get(key));
    } catch {
      // a hand-edited URL with bad JSON keeps the form's defaults
    }
  }
  return state;
}

/** Replace the URL's query with `state` (without a new history entry). */
export function writeState(state) {
  const params = new URLSearchParams();
  for (const key of Object.keys(FIELDS)) {
    if (state[key] === undefined || state[key] === null) continue;
    params.set(key, (WRITE[key] ?? String)(state[key]));
  }
  globalThis.history.replaceState(null, '', `${globalThis.location.pathname}?${params}`);
}
