// Camera fits computed from the points themselves: the 2D zoom and centre, or the 3D distance along
// a view direction, that bring a set of points (all, or some draw indices) into the viewport.
const MIN_HALF = 0.02; // scene units: a single point still gets a finite box

function each(positions, indices, count, fn) {
  if (indices) for (const i of indices) fn(i);
  else for (let i = 0; i < count; i++) fn(i);
}

/** Axis-aligned bounds of the points: {lo: [x, y, z], hi: [x, y, z]}, or null when there are none. */
export function pointBounds(positions, indices, count) {
  const lo = [Infinity, Infinity, Infinity];
  const hi = [-Infinity, -Infinity, -Infinity];
  each(positions, indices, count, (i) => {
    for (let a = 0; a < 3; a++) {
      const v = positions[i * 3 + a];
      if (v < lo[a]) lo[a] = v;
      if (v > hi[a]) hi[a] = v;
    }
  });
  return lo[0] <= hi[0] ? { lo, hi } : null;
}

/**
 * Orthographic fit: centre {x, y} and zoom so the points' box fills the view of half-size
 * (halfX, halfY) at zoom 1, with `margin` (> 1) to spare; null when there are no points.
 */
export function fit2d(positions, indices, count, halfX, halfY, margin) {
  const box = pointBounds(positions, indices, count);
  if (!box) return null;
  const w = Math.max(MIN_HALF, (box.hi[0] - box.lo[0]) / 2);
  const h = Math.max(MIN_HALF, (box.hi[1] - box.lo[1]) / 2);
  return {
    x: (box.lo[0] + box.hi[0]) / 2,
    y: (box.lo[1] + box.hi[1]) / 2,
    zoom: Math.min(halfX / (w * margin), halfY / (h * margin)),
  };
}

/**
 * Perspective fit: looking at the points' box centre from direction `dir` (unit vector from the
 * target to the camera, with camera axes `right` and `up`), the smallest distance at which every
 * point lies inside the frustum (vertical half-angle tangent `tanV`, aspect `aspect`), shrunk by
 * `margin`. Returns {target: [x, y, z], distance}, or null when there are no points.
 */
export function fit3d(positions, indices, count, { dir, right, up }, tanV, aspect, margin, near) {
  const box = pointBounds(positions, indices, count);
  if (!box) return null;
  const c = [0, 1, 2].map((a) => (box.lo[a] + box.hi[a]) / 2);
  const tv = tanV / margin;
  const th = tv * aspect;
  let distance = 0;
  each(positions, indices, count, (i) => {
    const x = positions[i * 3] - c[0];
    const y = positions[i * 3 + 1] - c[1];
    const z = positions[i * 3 + 2] - c[2];
    const along = x * dir[0] + y * dir[1] + z * dir[2]; // towards the camera
    const a = Math.abs(x * right[0] + y * right[1] + z * right[2]);
    const b = Math.abs(x * up[0] + y * up[1] + z * up[2]);
    // The point's depth is distance - along; it must see it inside both half-angles and past near.
    distance = Math.max(distance, along + a / th, along + b / tv, along + near);
  });
  return { target: c, distance: Math.max(distance, MIN_HALF / tv) };
}
