// What a figure's PNG draws: the share of its canvas the non-white pixels span.
import type { PNG } from 'pngjs';

export /** Share of the width and height that the non-white pixels span. */
function drawnSpan(png: PNG): { x: number; y: number } {
  let [x0, y0, x1, y1] = [png.width, png.height, -1, -1];
  for (let y = 0; y < png.height; y++) {
    for (let x = 0; x < png.width; x++) {
      const i = (y * png.width + x) * 4;
      if (png.data[i]! < 245 || png.data[i + 1]! < 245 || png.data[i + 2]! < 245) {
        x0 = Math.min(x0, x);
        x1 = Math.max(x1, x);
        y0 = Math.min(y0, y);
        y1 = Math.max(y1, y);
      }
    }
  }
  return { x: (x1 - x0 + 1) / png.width, y: (y1 - y0 + 1) / png.height };
}
