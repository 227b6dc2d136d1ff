// HTML overlay for point labels, and the hover ring and card. Labels are placed by a greedy
// collision pass, most important first (selected, neighbours by distance, then other visible
// points, nearest to the camera first in 3D): each label tries a few spots around its dot, takes
// the first free one inside the view, gets a short leader line when that is not its default spot,
// and is hidden when no spot is free. Text goes in through textContent only. Label and line nodes
// are pooled (at most MAX_LABELS); placement runs only when the camera, the points, the list or the
// options changed, on typed arrays that are reused, so moving the camera allocates nothing.
// Hover lives here rather than in WebGL so that hovering never redraws the point cloud.
import { createCollisionGrid } from './label_collision.js';

const MAX_LABELS = 1000;
// With fewer points on screen than this, every visible point is a candidate. With more, one point per
// label-sized screen cell is: an O(n) pass with no sort, whose picks cover the view evenly and
// already nearly fit, so the collision pass gets a bounded (< ~2,000) and useful set.
const EVERY_POINT_BELOW = 2000;
const MAX_CELLS = 2048;
// While the camera moves, the labels of other points follow the dots they were given; the scan for
// what is on screen (O(n) over the picker's array) runs again once the camera has rested this long.
const REST_MS = 120;
const GAP = 5; // px between a dot and its label
const SCALE_RANGE = [0.45, 2.5]; // 3D labels: how much smaller / bigger than at the orbit target
const SVG_NS = 'http://www.w3.org/2000/svg';
const NONE = Object.freeze([]);

// Spots around the dot, in order of preference: left = x + fx*w + gx*GAP, top = y + fy*h + gy*GAP + ky*h.
const SPOTS = [
  [0, 1, -0.5, 0, 0], // right: the default spot
  [-1, -1, -0.5, 0, 0], // left
  [-0.5, 0, -1, -1, 0], // above
  [-0.5, 0, 0, 1, 0], // below
  [0, 1, -0.5, 0, -1], [0, 1, -0.5, 0, 1], [-1, -1, -0.5, 0, -1], [-1, -1, -0.5, 0, 1], // diagonals
];
// A little further out: stacked lines beside the dot (what a tight cluster needs), then above/below.
for (let k = 2; k <= 6; k++) {
  for (const ky of [-k, k]) SPOTS.push([0, 2, -0.5, 0, ky], [-1, -2, -0.5, 0, ky]);
}
SPOTS.push([-0.5, 0, -1, -1, -1], [-0.5, 0, 0, 1, 1]);
// Other points (the "all" mode) try only the spots next to their dot: far-off labels with long
// leaders would clutter a full view, and a point that loses its near spots can wait for a zoom.
const NEAR_SPOTS = 8;

/**
 * Create the layer inside `overlay` (an absolutely positioned, pointer-transparent element).
 * scene: requestRender() (asked for once the camera has come to rest), screen() (the picker's shared
 * (x, y, depth) array), count(), mode() ('2d' | '3d'), depthScale(index) (3D: target distance / point distance).
 */
export function createLabelsLayer(overlay, scene) {
  const leaders = document.createElementNS(SVG_NS, 'svg');
  leaders.setAttribute('class', 'label-leaders');
  leaders.setAttribute('aria-hidden', 'true');
  overlay.append(leaders);
  const pool = []; // {node, line, index, text, kind, leader}
  let items = []; // the priority list: [{index, text, kind, width}]
  let options = { mode: 'neighbors', size: 0, depth3d: false, textOf: null }; // size set by setOptions
  let lineHeight = 16;
  let dirty = true;
  let used = 0; // pool slots in use: the priority list's own slots, then the other points' labels

  // Measured text widths (CSS px at the current size) per draw index, for the "all" pass.
  let widthOf = new Float32Array(0);
  let stamp = new Uint32Array(0); // stamp[i] === generation: point i is in the priority list
  let generation = 0;
  const measure = document.createElement('canvas').getContext('2d');
  let fontFamily = '';

  const occupied = createCollisionGrid(MAX_LABELS);
  // The "all" pass: candidates as sort keys, and the best point per screen cell.
  const keys = new Float64Array(Math.max(EVERY_POINT_BELOW, MAX_CELLS));
  const candidates = new Int32Array(keys.length); // the last scan's picks, in placement order
  let candidateCount = 0;
  let scanDue = true;
  let restTimer = 0;
  const cellBest = new Int32Array(MAX_CELLS);
  const cellDepth = new Float32Array(MAX_CELLS);
  const at = { x: 0, y: 0, visible: false };
  const spot = { left: 0, top: 0, index: -1 };

  const hoverRing = document.createElement('div');
  hoverRing.className = 'hover-ring';
  hoverRing.hidden = true;
  const hoverCard = document.createElement('div');
  hoverCard.className = 'hover-card';
  hoverCard.id = 'hover-card';
  hoverCard.hidden = true;
  // The card: the point's thumbnail (when the dataset has a sprite sheet) and its label.
  const hoverThumb = document.createElement('span');
  hoverThumb.className = 'thumb hover-thumb';
  hoverThumb.hidden = true;
  const hoverText = document.createElement('span');
  hoverText.className = 'hover-text';
  hoverCard.append(hoverThumb, hoverText);
  overlay.append(hoverRing, hoverCard);
  let hoverIndex = -1;
  const hoverAt = { x: 0, y: 0, visible: false };

  function placeHover(project) {
    if (hoverIndex < 0) return;
    project(hoverIndex, hoverAt);
    hoverCard.hidden = hoverRing.hidden = !hoverAt.visible;
    hoverRing.style.transform = `translate(${Math.round(hoverAt.x)}px, ${Math.round(hoverAt.y)}px)`;
    hoverCard.style.transform = `translate(${Math.round(hoverAt.x + 10)}px, ${Math.round(hoverAt.y + 10)}px)`;
  }

  function slot(i) {
    while (pool.length <= i) {
      const node = document.createElement('div');
      node.className = 'point-label';
      node.hidden = true;
      overlay.insertBefore(node, hoverRing);
      const line = document.createElementNS(SVG_NS, 'line');
      line.setAttribute('class', 'label-leader');
      line.style.display = 'none';
      leaders.append(line);
      pool.push({ node, line, index: -1, text: null, kind: '', leader: false });
    }
    return pool[i];
  }

  function textWidth(text, bold) {
    if (!fontFamily) fontFamily = getComputedStyle(overlay).fontFamily || 'sans-serif';
    measure.font = `${bold ? 700 : 400} ${options.size}px ${fontFamily}`;
    // 2 px padding each side, 1 px for rounding; long names end in an ellipsis.
    return Math.min(Math.ceil(measure.measureText(text).width) + 5, options.size * 18);
  }

  /** Find the first free spot for a w x h label at dot (x, y) into `spot`; false when none. */
  function findSpot(x, y, w, h, width, height, spots) {
    for (let s = 0; s < spots; s++) {
      const [fx, gx, fy, gy, ky] = SPOTS[s];
      const left = x + fx * w + gx * GAP;
      const top = y + fy * h + gy * GAP + ky * h;
      if (left < 0 || top < 0 || left + w > width || top + h > height) continue;
      if (occupied.hits(left, top, w, h)) continue;
      spot.left = left;
      spot.top = top;
      spot.index = s;
      return true;
    }
    return false;
  }

  function hide(s) {
    if (!s.node.hidden) s.node.hidden = true;
    if (s.leader) s.line.style.display = 'none';
    s.leader = false;
  }

  /** Write a label's text, kind and point into pool slot `s` (only what changed). */
  function fill(s, index, text, kind) {
    const n = s.node;
    if (s.text !== text) n.textContent = s.text = text;
    if (s.kind !== kind) n.className = `point-label ${(s.kind = kind)}`;
    if (s.index !== index) n.dataset.index = String((s.index = index));
  }

  /** Show pool slot `s` as the label of point `index` at dot (x, y) if a spot is free; false when none is. */
  function placeOne(s, index, x, y, text, kind, baseWidth, width, height) {
    const scale = options.depth3d ? Math.min(SCALE_RANGE[1], Math.max(SCALE_RANGE[0], scene.depthScale(index))) : 1;
    const w = baseWidth * scale;
    const h = lineHeight * scale;
    if (!findSpot(x, y, w, h, width, height, kind === 'plain' ? NEAR_SPOTS : SPOTS.length)) return false;
    occupied.add(spot.left, spot.top, w, h);
    fill(s, index, text, kind);
    const n = s.node;
    n.style.width = `${baseWidth}px`;
    n.style.transform = scale === 1
      ? `translate(${Math.round(spot.left)}px, ${Math.round(spot.top)}px)`
      : `translate(${spot.left.toFixed(1)}px, ${spot.top.toFixed(1)}px) scale(${scale.toFixed(3)})`;
    n.hidden = false;
    const leader = spot.index !== 0;
    if (leader) {
      // From the dot to the nearest point of the label's box.
      s.line.setAttribute('x1', x.toFixed(1));
      s.line.setAttribute('y1', y.toFixed(1));
      s.line.setAttribute('x2', Math.min(Math.max(x, spot.left), spot.left + w).toFixed(1));
      s.line.setAttribute('y2', Math.min(Math.max(y, spot.top), spot.top + h).toFixed(1));
      s.line.dataset.index = String(index);
    }
    if (leader !== s.leader) s.line.style.display = (s.leader = leader) ? '' : 'none';
    return true;
  }

  /** Every visible point not in the priority list, in placement order, into keys[0..m); returns m. */
  function collectVisible(count, width, height) {
    const screen = scene.screen();
    const depthFirst = scene.mode() === '3d';
    const cellW = Math.max(60, options.size * 6, Math.ceil(Math.sqrt((width * height) / MAX_CELLS) * 2));
    let cellH = Math.max(lineHeight, Math.ceil((width * height) / (MAX_CELLS * cellW)));
    const cc = Math.floor(width / cellW) + 1;
    while (cc * (Math.floor(height / cellH) + 1) > MAX_CELLS) cellH *= 1.25;
    cellBest.fill(-1);
    let visible = 0;
    for (let i = 0; i < count; i++) {
      const x = screen[i * 3];
      if (!(x >= 0 && x <= width)) continue; // also NaN (clipped)
      const y = screen[i * 3 + 1];
      if (!(y >= 0 && y <= height) || stamp[i] === generation) continue;
      const depth = screen[i * 3 + 2];
      if (visible < EVERY_POINT_BELOW) keys[visible] = depthFirst ? sortKey(depth, i) : i;
      visible++;
      const cell = Math.floor(y / cellH) * cc + Math.floor(x / cellW);
      if (cellBest[cell] < 0 || (depthFirst && depth < cellDepth[cell])) {
        cellBest[cell] = i;
        cellDepth[cell] = depth;
      }
    }
    let m = visible;
    if (visible >= EVERY_POINT_BELOW) {
      m = 0;
      for (let c = 0; c < MAX_CELLS; c++) {
        const i = cellBest[c];
        if (i >= 0) keys[m++] = depthFirst ? sortKey(cellDepth[c], i) : i;
      }
    }
    keys.fill(Infinity, m);
    keys.sort(); // numeric, in place: nearest first in 3D, draw order in 2D
    return m;
  }

  function placeAll(project, width, height) {
    const count = scene.count();
    generation = (generation + 1) >>> 0 || 1;
    occupied.reset(width, height);
    if (stamp.length !== count) {
      stamp = new Uint32Array(count);
      widthOf = new Float32Array(count).fill(NaN);
    }
    const list = options.mode === 'off' ? NONE : items;
    for (let k = 0; k < list.length; k++) {
      const item = list[k];
      const s = pool[k];
      if (item.index >= count || !item.text) {
        hide(s);
        continue;
      }
      stamp[item.index] = generation;
      project(item.index, at);
      const onScreen = at.visible && at.x >= 0 && at.y >= 0 && at.x <= width && at.y <= height;
      if (!onScreen || !placeOne(s, item.index, at.x, at.y, item.text, item.kind, item.width, width, height)) hide(s);
    }
    let next = list.length;
    if (options.mode === 'all' && options.textOf && count > 0) {
      if (scanDue) {
        scanDue = false;
        candidateCount = collectVisible(count, width, height);
        for (let c = 0; c < candidateCount; c++) candidates[c] = keys[c] % INDEX_SPAN;
      }
      for (let c = 0; c < candidateCount && next < MAX_LABELS; c++) {
        const i = candidates[c];
        if (i >= count || stamp[i] === generation) continue;
        project(i, at);
        if (!at.visible || at.x < 0 || at.y < 0 || at.x > width || at.y > height) continue;
        const text = options.textOf(i);
        if (!text) continue;
        if (Number.isNaN(widthOf[i])) widthOf[i] = textWidth(text, false);
        if (placeOne(slot(next), i, at.x, at.y, text, 'plain', widthOf[i], width, height)) next++;
      }
    }
    for (let i = next; i < used; i++) hide(pool[i]);
    used = next;
  }

  return {
    /** Labels to draw first, most important first: [{index (draw order), text, kind: 'selected'|'neighbor'}]. */
    setLabels(list) {
      items = list.slice(0, MAX_LABELS).map((item) => ({ ...item, width: textWidth(item.text, item.kind === 'selected') }));
      // Each label of the list has its own slot, with its text at once; placement shows or hides it.
      items.forEach((item, k) => fill(slot(k), item.index, item.text, item.kind));
      dirty = scanDue = true;
    },
    /**
     * mode: 'off' | 'neighbors' | 'all'; size: font size in CSS px; depth3d: scale labels with depth;
     * textOf(index): the label of any drawn point (for 'all').
     */
    setOptions(next) {
      const sizeChanged = next.size !== options.size;
      if (next.textOf !== options.textOf || sizeChanged) widthOf.fill(NaN);
      options = { ...options, ...next };
      if (sizeChanged) {
        lineHeight = Math.round(options.size * 1.34);
        overlay.style.setProperty('--label-size', `${options.size}px`);
        overlay.style.setProperty('--label-line', `${lineHeight}px`);
        for (const item of items) item.width = textWidth(item.text, item.kind === 'selected');
      }
      dirty = scanDue = true;
    },
    /** The camera, the viewport or the points moved: place again at the next render. */
    screenChanged() {
      dirty = true;
      if (options.mode !== 'all') return;
      clearTimeout(restTimer);
      restTimer = setTimeout(() => {
        restTimer = 0;
        dirty = scanDue = true;
        scene.requestRender();
      }, REST_MS);
    },
    /**
     * Show the hover ring and card at point `index` (draw order) with `text`, or hide them (-1);
     * `thumb`: style properties of the point's thumbnail (sprite_thumbs.js thumbStyle), or null.
     */
    setHover(index, text, project, thumb = null) {
      hoverIndex = index;
      hoverCard.hidden = hoverRing.hidden = index < 0;
      if (index < 0) return;
      hoverText.textContent = text;
      hoverThumb.hidden = !thumb;
      if (thumb) Object.assign(hoverThumb.style, thumb);
      placeHover(project);
    },
    /** Place the labels (when something changed) and the hover card; project(index, out) fills {x, y, visible}. */
    place(project, width, height) {
      if (dirty) {
        dirty = false;
        placeAll(project, width, height);
      }
      placeHover(project);
    },
    dispose() {
      clearTimeout(restTimer);
      for (const s of pool) s.node.remove();
      leaders.remove();
      hoverCard.remove();
      hoverRing.remove();
      pool.length = 0;
      items = [];
    },
  };
}

const INDEX_SPAN = 2 ** 22; // draw indices below this (4M points) fit in a sort key

/** A sort key: depth first (NDC, nearest first), then the draw index. */
function sortKey(depth, index) {
  return Math.floor((depth + 1) * 2 ** 20) * INDEX_SPAN + index;
}
