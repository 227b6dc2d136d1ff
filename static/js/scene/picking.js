// CPU picking in screen space: project every drawn point once per camera change, then scan for
// the nearest within a few pixels. No per-point objects, and 400k points project in a few ms.
import * as THREE from 'three';

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
  }

  return {
    invalidate() {
      valid = false;
    },
    /**
     * Index (draw order) of the point nearest to (px, py) within `radius` CSS px, or -1. Points with
     * a higher `flags` value (drawn on top: selected, neighbours) win over plain ones nearby.
     */
    pick(positions, flags, count, camera, width, height, px, py, radius) {
      if (!valid) projectAll(positions, count, camera, width, height);
      const r2 = radius * radius;
      let best = -1;
      let bestD2 = Infinity;
      let bestDepth = Infinity;
      let bestFlag = -1;
      for (let i = 0; i < count; i++) {
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
