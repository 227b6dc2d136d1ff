// The occupied screen space of label placement: rectangles bucketed by the grid cells they cover,
// so "does this box hit a placed label?" looks at a few neighbours, not at every label placed.
// Typed arrays only, reused from one placement to the next (they grow rarely, never per frame).

const BUCKET = 32; // px: side of a grid cell

/** Create an empty grid for at most `capacity` rectangles. */
export function createCollisionGrid(capacity) {
  const rects = new Float32Array(capacity * 4); // left, top, right, bottom per rectangle
  let count = 0;
  let head = new Int32Array(0); // first entry of each cell, -1 when empty
  let next = new Int32Array(4096); // entries: a linked list per cell
  let owner = new Int32Array(4096); // entry -> rectangle
  let entries = 0;
  let cols = 0;
  let rows = 0;
  const query = { left: 0, top: 0, right: 0, bottom: 0 };

  function cells(left, top, right, bottom, fn, arg) {
    const c0 = Math.max(0, Math.floor(left / BUCKET));
    const c1 = Math.min(cols - 1, Math.floor(right / BUCKET));
    const r0 = Math.max(0, Math.floor(top / BUCKET));
    const r1 = Math.min(rows - 1, Math.floor(bottom / BUCKET));
    for (let r = r0; r <= r1; r++) for (let c = c0; c <= c1; c++) if (fn(r * cols + c, arg)) return true;
    return false;
  }

  function cellHits(cell) {
    for (let e = head[cell]; e >= 0; e = next[e]) {
      const k = owner[e] * 4;
      if (query.left < rects[k + 2] && query.right > rects[k] && query.top < rects[k + 3] && query.bottom > rects[k + 1]) return true;
    }
    return false;
  }

  function cellAdd(cell, id) {
    if (entries === next.length) {
      const grownNext = new Int32Array(entries * 2); // rare: a placement covering more cells than ever
      grownNext.set(next);
      next = grownNext;
      const grownOwner = new Int32Array(entries * 2);
      grownOwner.set(owner);
      owner = grownOwner;
    }
    owner[entries] = id;
    next[entries] = head[cell];
    head[cell] = entries++;
    return false;
  }

  return {
    /** Forget every rectangle; the view is `width` x `height` CSS px. */
    reset(width, height) {
      const c = Math.ceil(width / BUCKET);
      const r = Math.ceil(height / BUCKET);
      if (c !== cols || r !== rows) {
        cols = c;
        rows = r;
        head = new Int32Array(c * r); // only on resize
      }
      head.fill(-1);
      entries = 0;
      count = 0;
    },
    /** Whether the box overlaps a rectangle added since reset() (touching edges do not count). */
    hits(left, top, w, h) {
      query.left = left;
      query.top = top;
      query.right = left + w;
      query.bottom = top + h;
      return cells(left, top, left + w, top + h, cellHits);
    },
    /** Occupy the box; false when the grid is full. */
    add(left, top, w, h) {
      if (count === capacity) return false;
      const id = count++;
      rects[id * 4] = left;
      rects[id * 4 + 1] = top;
      rects[id * 4 + 2] = left + w;
      rects[id * 4 + 3] = top + h;
      cells(left, top, left + w, top + h, cellAdd, id);
      return true;
    },
  };
}
