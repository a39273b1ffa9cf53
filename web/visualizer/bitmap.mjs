// Values painted at one pixel per cell: the image every view draws scaled.
import { bitmapOf } from './dom.mjs';
import { lookupTable } from './palettes.mjs';
import { rangeOf } from './weights.mjs';

/** (rows·cols) `values` painted on `palette`, hidden cells grey, as a 1 px per cell bitmap. */
export function paintBitmap(values, rows, cols, { palette, hidden, grey, range = rangeOf(values, hidden) }) {
  const image = new ImageData(cols, rows);
  const pixels = new Uint32Array(image.data.buffer);
  const table = lookupTable(palette);
  const [lo, hi] = range;
  const scale = hi > lo ? 255 / (hi - lo) : 0;
  for (let k = 0; k < pixels.length; k++) {
    if (hidden?.[k]) pixels[k] = grey;
    else {
      const t = Math.round((values[k] - lo) * scale);
      pixels[k] = table[t > 255 ? 255 : t > 0 ? t : 0];
    }
  }
  return bitmapOf(image);
}
