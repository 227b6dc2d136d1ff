// CPU picking in screen space: project every drawn point once per camera change and bucket them in
// a grid of CELL px cells, then look for the nearest within a few pixels in the cells round the
// cursor only. No per-point objects; at 1M points a hover reads a few hundred, not a million.
import * as THREE from 'three';

const CELL = 16; // CSS px
const MARGIN = 64; // points this far off the canvas are still bucketed (a wide pick radius may reach them)

/** Create a picker; call invalidate() whenever the camera, the viewport or the positions change. */
export function createPicker() {
  let screen = new Float32Array(0); // x, y in CSS px, and NDC depth per point; x = NaN when clipped
  let valid = false;
  const matrix = new THREE.Matrix4();

  function loadMatrix(camera) {
    camera.updateMatrixWorld();
    matrix.multiplyMatrices(camera.projectionMatrix, camera.matrixWorldInverse);
    return matrix.elements;
  }

  function projectAll(positions, count, camera, width, height) {
    if (screen.length !== count * 3) screen = new Float32Array(count * 3);
    const e = loadMatrix(camera);
    for (let i = 0; i < count; i++) {
      const x = positions[i * 3];
      const y = positions[i * 3 + 1];
      const z = positions[i * 3 + 2];
      const w = e[3] * x + e[7] * y + e[11] * z + e[15];
      const cz = (e[2] * x + e[6] * y + e[10] * z + e[14]) / w;
      if (w <= 0 || cz < -1 || cz > 1) {
        screen[i * 3] = NaN;
        continue;
      }
      screen[i * 3] = ((e[0] * x + e[4] * y + e[8] * z + e[12]) / w + 1) * 0.5 * width;
      screen[i * 3 + 1] = (1 - (e[1] * x + e[5] * y + e[9] * z + e[13]) / w) * 0.5 * height;
      screen[i * 3 + 2] = cz;
    }
    valid = true;
    gridValid = false;
  }

  // The grid: cellStart[c]..cellStart[c + 1] index cellItems, the points of cell c in draw order.
  let gridValid = false;
  let cols = 0;
  let cellStart = new Int32Array(0);
  let cellItems = new Int32Array(0);
  let cellOf = new Int32Array(0);
  let gridLeft = 0;
  let gridTop = 0;

  function buildGrid(count, width, height) {
    gridLeft = -MARGIN;
    gridTop = -MARGIN;
    cols = Math.ceil((width + 2 * MARGIN) / CELL);
    const rows = Math.ceil((height + 2 * MARGIN) / CELL);
    const cells = cols * rows;
    if (cellStart.length !== cells + 1) cellStart = new Int32Array(cells + 1);
    else cellStart.fill(0);
    if (cellOf.length !== count) cellOf = new Int32Array(count);
    for (let i = 0; i < count; i++) {
      const cx = Math.floor((screen[i * 3] - gridLeft) / CELL);
      const cy = Math.floor((screen[i * 3 + 1] - gridTop) / CELL);
      // NaN (clipped) fails both tests, as do points beyond the margin.
      if (cx >= 0 && cx < cols && cy >= 0 && cy < rows) {
        const c = cy * cols + cx;
        cellOf[i] = c;
        cellStart[c + 1]++;
      } else cellOf[i] = -1;
    }
    for (let c = 0; c < cells; c++) cellStart[c + 1] += cellStart[c];
    const filled = cellStart[cells];
    if (cellItems.length < filled) cellItems = new Int32Array(filled);
    const next = cellStart.slice(0, cells);
    for (let i = 0; i < count; i++) if (cellOf[i] >= 0) cellItems[next[cellOf[i]]++] = i;
    gridValid = true;
  }

  /**
   * The draw indices (ascending) in the cells that a circle of `radius` round (px, py) touches, or
   * null when those cells hold so many points that one pass over all of them is cheaper.
   */
  function candidates(px, py, radius, count) {
    const rows = (cellStart.length - 1) / cols;
    const x0 = Math.max(0, Math.floor((px - radius - gridLeft) / CELL));
    const x1 = Math.min(cols - 1, Math.floor((px + radius - gridLeft) / CELL));
    const y0 = Math.max(0, Math.floor((py - radius - gridTop) / CELL));
    const y1 = Math.min(rows - 1, Math.floor((py + radius - gridTop) / CELL));
    let total = 0;
    for (let cy = y0; cy <= y1; cy++) total += cellStart[cy * cols + x1 + 1] - cellStart[cy * cols + x0];
    if (total > count / 8) return null;
    if (found.length < total) found = new Int32Array(Math.max(total, found.length * 2));
    let n = 0;
    for (let cy = y0; cy <= y1; cy++) {
      // A row's cells are contiguous in cellItems: one copy per row.
      const from = cellStart[cy * cols + x0];
      const to = cellStart[cy * cols + x1 + 1];
      found.set(cellItems.subarray(from, to), n);
      n += to - from;
    }
    // Draw order, as a scan of every point meets them: ties go the same way (a typed sort is numeric).
    const near = found.subarray(0, n);
    return x0 === x1 && y0 === y1 ? near : near.sort();
  }
  let found = new Int32Array(0);

  function prepare(positions, count, camera, width, height) {
    if (!valid) projectAll(positions, count, camera, width, height);
    if (!gridValid) buildGrid(count, width, height);
  }

  return {
    invalidate() {
      valid = false;
      gridValid = false;
    },
    /** Project and bucket the points now (while the camera rests), so the next pick only looks. */
    prepare,
    /**
     * Index (draw order) of the point nearest to (px, py) within `radius` CSS px, or -1. Points with
     * a higher `flags` value (drawn on top: selected, neighbours) win over plain ones nearby.
     */
    pick(positions, flags, count, camera, width, height, px, py, radius) {
      prepare(positions, count, camera, width, height);
      const r2 = radius * radius;
      let best = -1;
      let bestD2 = Infinity;
      let bestDepth = Infinity;
      let bestFlag = -1;
      // A radius past the grid's margin (huge thumbnails) reads every point.
      const near = radius < MARGIN ? candidates(px, py, radius, count) : null;
      const total = near ? near.length : count;
      for (let k = 0; k < total; k++) {
        const i = near ? near[k] : k;
        const dx = screen[i * 3] - px;
        if (!(Math.abs(dx) <= radius)) continue; // also skips NaN (clipped)
        const dy = screen[i * 3 + 1] - py;
        const d2 = dx * dx + dy * dy;
        if (d2 > r2) continue;
        const depth = screen[i * 3 + 2];
        const flag = flags.length === count ? flags[i] : 0;
        if (flag < bestFlag) continue;
        // Among points about equally near the cursor, the one in front wins.
        if (flag > bestFlag || d2 < bestD2 - 1 || (d2 <= bestD2 + 1 && depth < bestDepth)) {
          best = i;
          bestD2 = d2;
          bestDepth = depth;
          bestFlag = flag;
        }
      }
      return best;
    },
    /**
     * Every point's screen position under `camera`: a Float32Array of (x, y, depth) per draw index in
     * CSS px, x = NaN when clipped; valid until the next invalidate(). Shared with box/lasso selection
     * and label placement, so 400k points are projected once per camera change.
     */
    screen(positions, count, camera, width, height) {
      if (!valid) projectAll(positions, count, camera, width, height);
      return screen;
    },
    /** Use `camera`'s current matrices for the next project() calls. */
    useCamera(camera) {
      loadMatrix(camera);
    },
    /**
     * Screen position of point `index` in CSS px under the camera given to useCamera(), written to
     * `out` ({x, y, visible}); no allocation, so labels can be placed on every render.
     */
    project(positions, index, width, height, out) {
      const e = matrix.elements;
      const x = positions[index * 3];
      const y = positions[index * 3 + 1];
      const z = positions[index * 3 + 2];
      const w = e[3] * x + e[7] * y + e[11] * z + e[15];
      out.visible = w > 0;
      out.x = ((e[0] * x + e[4] * y + e[8] * z + e[12]) / w + 1) * 0.5 * width;
      out.y = (1 - (e[1] * x + e[5] * y + e[9] * z + e[13]) / w) * 0.5 * height;
      return out;
    },
  };
}
