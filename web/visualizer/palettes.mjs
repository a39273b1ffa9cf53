// Colour maps and themes. Sequential maps (viridis, cividis) are colour-blind safe and
// monotone in lightness, so the brightest cell is the largest value; the diverging map
// (ColorBrewer RdBu, blue < 0 < red) is for signed differences. Hidden (masked or causally
// unseen) cells use a neutral grey that none of the maps contains.

const STOPS = {
  viridis: [
    [68, 1, 84], [71, 44, 122], [59, 81, 139], [44, 113, 142], [33, 144, 141],
    [39, 173, 129], [92, 200, 99], [170, 220, 50], [253, 231, 37],
  ],
  // cividis (Nuñez et al. 2018) at 9 stops, linear in lightness
  cividis: [
    [0, 32, 77], [0, 52, 110], [57, 72, 108], [87, 92, 109], [125, 124, 120],
    [152, 149, 118], [181, 175, 107], [212, 201, 92], [254, 232, 56],
  ],
  diverging: [
    [33, 102, 172], [67, 147, 195], [146, 197, 222], [209, 229, 240], [247, 247, 247],
    [253, 219, 199], [244, 165, 130], [214, 96, 77], [178, 24, 43],
  ],
};

/** The sequential palettes a user may pick. */
export const PALETTES = ['viridis', 'cividis'];

/** Colours of the page's two themes: text, background, hidden cells and their hatching. */
export const THEMES = {
  light: { background: '#ffffff', text: '#1d1d1f', muted: '#5a5f66', hidden: [204, 204, 204], hatch: [128, 128, 128], focus: '#e4007c', link: '#1f5fbf' },
  dark: { background: '#16181d', text: '#e8e9ec', muted: '#a3a8b3', hidden: [60, 60, 60], hatch: [140, 140, 140], focus: '#ff5fb0', link: '#7fb2ff' },
};

function interpolate(stops, t) {
  const pos = Math.min(Math.max(Number.isFinite(t) ? t : 0, 0), 1) * (stops.length - 1);
  const lo = Math.min(Math.floor(pos), stops.length - 2);
  const f = pos - lo;
  return stops[lo].map((c, i) => Math.round(c * (1 - f) + stops[lo + 1][i] * f));
}

/** Colour of t in [0, 1] on palette `name` ('viridis', 'cividis' or 'diverging') as [r, g, b]. */
export function colour(name, t) {
  const stops = STOPS[name];
  if (!stops) throw new TypeError(`unknown palette ${JSON.stringify(name)}; one of ${Object.keys(STOPS).join(', ')}`);
  return interpolate(stops, t);
}

/** Viridis colour of t in [0, 1] as [r, g, b] (the same map as ra.viz.heatmap). */
export function viridis(t) {
  return colour('viridis', t);
}

const LUTS = new Map();

/** 256 colours of a palette as packed RGBA (Uint32, little-endian ImageData order). */
export function lookupTable(name) {
  if (!LUTS.has(name)) {
    const table = new Uint32Array(256);
    for (let i = 0; i < 256; i++) {
      const [r, g, b] = colour(name, i / 255);
      table[i] = (255 << 24 | b << 16 | g << 8 | r) >>> 0;
    }
    LUTS.set(name, table);
  }
  return LUTS.get(name);
}

/** `[r, g, b]` packed as lookupTable packs it. */
export const pack = ([r, g, b]) => (255 << 24 | b << 16 | g << 8 | r) >>> 0;

/** 'dark' or 'light': the nearest `data-theme` attribute, else the system preference. */
export function themeOf(element) {
  const chosen = element.closest?.('[data-theme]')?.dataset.theme;
  if (chosen === 'dark' || chosen === 'light') return chosen;
  return globalThis.matchMedia?.('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

/** CSS rgb() of [r, g, b]. */
export const css = ([r, g, b]) => `rgb(${r},${g},${b})`;
