// Density contours under the points (2D): a kernel density estimate of the drawn positions on a
// grid (points binned, then a separable Gaussian blur), and marching squares at a few levels, as
// one THREE.LineSegments drawn before the points.
import * as THREE from 'three';

const GRID = 128; // cells per side
const LEVELS = [0.08, 0.2, 0.4, 0.65]; // contour heights, as fractions of the peak density
const SIGMA_CELLS = 2.5; // the kernel's bandwidth in grid cells

/** Grid KDE of points (x, y from positions, first `count`) over [x0, x1] x [y0, y1]: a Float32Array GRID*GRID. */
export function densityGrid(positions, count, x0, y0, x1, y1) {
  const grid = new Float32Array(GRID * GRID);
  const sx = (GRID - 1) / (x1 - x0 || 1);
  const sy = (GRID - 1) / (y1 - y0 || 1);
  for (let i = 0; i < count; i++) {
    const gx = Math.round((positions[i * 3] - x0) * sx);
    const gy = Math.round((positions[i * 3 + 1] - y0) * sy);
    if (gx >= 0 && gx < GRID && gy >= 0 && gy < GRID) grid[gy * GRID + gx] += 1;
  }
  const radius = Math.ceil(SIGMA_CELLS * 3);
  const kernel = Array.from({ length: 2 * radius + 1 }, (_, k) => Math.exp(-((k - radius) ** 2) / (2 * SIGMA_CELLS ** 2)));
  const tmp = new Float32Array(GRID * GRID);
  for (let y = 0; y < GRID; y++) {
    for (let x = 0; x < GRID; x++) {
      let s = 0;
      for (let k = -radius; k <= radius; k++) if (x + k >= 0 && x + k < GRID) s += grid[y * GRID + x + k] * kernel[k + radius];
      tmp[y * GRID + x] = s;
    }
  }
  for (let y = 0; y < GRID; y++) {
    for (let x = 0; x < GRID; x++) {
      let s = 0;
      for (let k = -radius; k <= radius; k++) if (y + k >= 0 && y + k < GRID) s += tmp[(y + k) * GRID + x] * kernel[k + radius];
      grid[y * GRID + x] = s;
    }
  }
  return grid;
}

/** Marching squares over `grid` at height `level`: segment end points (x, y pairs in grid units) pushed to `out`. */
export function contourSegments(grid, level, out) {
  const edge = (a, b) => (level - a) / (b - a || 1);
  for (let y = 0; y < GRID - 1; y++) {
    for (let x = 0; x < GRID - 1; x++) {
      const v0 = grid[y * GRID + x];
      const v1 = grid[y * GRID + x + 1];
      const v2 = grid[(y + 1) * GRID + x + 1];
      const v3 = grid[(y + 1) * GRID + x];
      const cell = (v0 > level ? 1 : 0) | (v1 > level ? 2 : 0) | (v2 > level ? 4 : 0) | (v3 > level ? 8 : 0);
      if (cell === 0 || cell === 15) continue;
      // crossing points on the four edges: bottom (0-1), right (1-2), top (3-2), left (0-3)
      const p = [
        [x + edge(v0, v1), y], [x + 1, y + edge(v1, v2)], [x + edge(v3, v2), y + 1], [x, y + edge(v0, v3)],
      ];
      const pairs = SEGMENTS[cell];
      for (let s = 0; s < pairs.length; s += 2) out.push(...p[pairs[s]], ...p[pairs[s + 1]]);
    }
  }
}

// For each corner mask, which edges (0 bottom, 1 right, 2 top, 3 left) each segment joins.
const SEGMENTS = [
  [], [3, 0], [0, 1], [3, 1], [1, 2], [3, 2, 0, 1], [0, 2], [3, 2],
  [2, 3], [0, 2], [0, 3, 1, 2], [1, 2], [1, 3], [0, 1], [3, 0], [],
];

/** The layer: setColor(css), update(positions, count, on) rebuilds the lines; object goes in the scene. */
export function createContoursLayer() {
  const geometry = new THREE.BufferGeometry();
  const material = new THREE.LineBasicMaterial({ color: 0x8899aa, transparent: true, opacity: 0.7, depthTest: false });
  const object = new THREE.LineSegments(geometry, material);
  object.renderOrder = -1; // under the points
  object.visible = false;
  object.frustumCulled = false;
  let segments = 0;

  return {
    object,
    get count() {
      return segments;
    },
    setColor(color) {
      material.color.set(color);
    },
    /** Recompute the contours of the first `count` points of `positions` (n x 3) when `on`, else hide them. */
    update(positions, count, on) {
      object.visible = on && count > 0;
      if (!object.visible) {
        segments = 0;
        return;
      }
      let x0 = Infinity; let y0 = Infinity; let x1 = -Infinity; let y1 = -Infinity;
      for (let i = 0; i < count; i++) {
        const x = positions[i * 3];
        const y = positions[i * 3 + 1];
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
      }
      const margin = 0.1 * Math.max(x1 - x0, y1 - y0, 1e-6);
      x0 -= margin; y0 -= margin; x1 += margin; y1 += margin;
      const grid = densityGrid(positions, count, x0, y0, x1, y1);
      let peak = 0;
      for (const v of grid) if (v > peak) peak = v;
      const flat = [];
      for (const level of LEVELS) contourSegments(grid, level * peak, flat);
      const world = new Float32Array((flat.length / 2) * 3);
      const sx = (x1 - x0) / (GRID - 1);
      const sy = (y1 - y0) / (GRID - 1);
      for (let i = 0, j = 0; i < flat.length; i += 2, j += 3) {
        world[j] = x0 + flat[i] * sx;
        world[j + 1] = y0 + flat[i + 1] * sy;
        world[j + 2] = 0;
      }
      geometry.setAttribute('position', new THREE.BufferAttribute(world, 3));
      geometry.computeBoundingSphere();
      segments = world.length / 6;
    },
    dispose() {
      geometry.dispose();
      material.dispose();
    },
  };
}
