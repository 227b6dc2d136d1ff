// Pure point-in-shape maths for box and lasso selection, over the picker's screen array
// (x, y, depth per point; x = NaN when clipped). No allocation per point: 400k points take a few ms.

/** Draw indices (ascending) of the points whose (x, y) lies in the rectangle [x0, x1] x [y0, y1]. */
export function indicesInRect(screen, count, x0, y0, x1, y1) {
  const left = Math.min(x0, x1);
  const right = Math.max(x0, x1);
  const top = Math.min(y0, y1);
  const bottom = Math.max(y0, y1);
  const out = [];
  for (let i = 0; i < count; i++) {
    const x = screen[i * 3];
    if (!(x >= left && x <= right)) continue; // also rejects NaN (clipped)
    const y = screen[i * 3 + 1];
    if (y >= top && y <= bottom) out.push(i);
  }
  return out;
}

/** Whether (x, y) is inside the polygon `poly` (flat [x0, y0, x1, y1, ...], closed implicitly), by the even-odd rule. */
export function insidePolygon(poly, x, y) {
  const n = poly.length >> 1;
  let inside = false;
  for (let i = 0, j = n - 1; i < n; j = i++) {
    const xi = poly[i * 2];
    const yi = poly[i * 2 + 1];
    const xj = poly[j * 2];
    const yj = poly[j * 2 + 1];
    // The edge crosses the horizontal line through y, and the crossing is right of x.
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/** The bounding box [left, top, right, bottom] of a flat polygon. */
export function polygonBounds(poly) {
  let left = Infinity;
  let top = Infinity;
  let right = -Infinity;
  let bottom = -Infinity;
  for (let i = 0; i < poly.length; i += 2) {
    left = Math.min(left, poly[i]);
    right = Math.max(right, poly[i]);
    top = Math.min(top, poly[i + 1]);
    bottom = Math.max(bottom, poly[i + 1]);
  }
  return [left, top, right, bottom];
}

const BAND = 4; // CSS px: a lasso's edges are sorted into horizontal bands this tall

/**
 * The polygon's edges grouped by horizontal band (CSR: band b holds edges[offsets[b] .. offsets[b + 1]]),
 * so a point tests only the few edges whose height range covers its row, not all of them.
 */
function edgeBands(poly, top, bottom) {
  const n = poly.length >> 1;
  const bands = Math.max(1, Math.floor((bottom - top) / BAND) + 1);
  const counts = new Int32Array(bands + 1);
  const range = (i) => {
    const j = (i + 1) % n;
    const y0 = Math.min(poly[i * 2 + 1], poly[j * 2 + 1]);
    const y1 = Math.max(poly[i * 2 + 1], poly[j * 2 + 1]);
    return [Math.floor((y0 - top) / BAND), Math.min(bands - 1, Math.floor((y1 - top) / BAND))];
  };
  for (let i = 0; i < n; i++) {
    const [b0, b1] = range(i);
    for (let b = b0; b <= b1; b++) counts[b + 1]++;
  }
  for (let b = 0; b < bands; b++) counts[b + 1] += counts[b];
  const edges = new Int32Array(counts[bands]);
  const fill = counts.slice(0, bands);
  for (let i = 0; i < n; i++) {
    const [b0, b1] = range(i);
    for (let b = b0; b <= b1; b++) edges[fill[b]++] = i;
  }
  return { offsets: counts, edges };
}

/** Draw indices (ascending) of the points inside the polygon `poly` (flat x, y pairs; even-odd rule). */
export function indicesInPolygon(screen, count, poly) {
  const out = [];
  if (poly.length < 6) return out;
  const n = poly.length >> 1;
  const [left, top, right, bottom] = polygonBounds(poly);
  const { offsets, edges } = edgeBands(poly, top, bottom);
  for (let i = 0; i < count; i++) {
    const x = screen[i * 3];
    if (!(x >= left && x <= right)) continue; // bounding-box reject first; NaN (clipped) fails too
    const y = screen[i * 3 + 1];
    if (y < top || y > bottom) continue;
    // Even-odd over the edges that can cross this point's row (the same test as insidePolygon).
    const band = Math.floor((y - top) / BAND);
    let inside = false;
    for (let k = offsets[band]; k < offsets[band + 1]; k++) {
      const e = edges[k];
      const f = e + 1 === n ? 0 : e + 1;
      const xi = poly[e * 2];
      const yi = poly[e * 2 + 1];
      const xj = poly[f * 2];
      const yj = poly[f * 2 + 1];
      if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
    }
    if (inside) out.push(i);
  }
  return out;
}
