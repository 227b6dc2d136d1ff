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

/** Draw indices (ascending) of the points inside the polygon `poly` (flat x, y pairs; even-odd rule). */
export function indicesInPolygon(screen, count, poly) {
  const out = [];
  if (poly.length < 6) return out;
  const [left, top, right, bottom] = polygonBounds(poly);
  for (let i = 0; i < count; i++) {
    const x = screen[i * 3];
    if (!(x >= left && x <= right)) continue; // bounding-box reject first; NaN (clipped) fails too
    const y = screen[i * 3 + 1];
    if (y < top || y > bottom) continue;
    if (insidePolygon(poly, x, y)) out.push(i);
  }
  return out;
}
