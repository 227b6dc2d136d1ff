// The box or lasso being drawn: an SVG over the plot that follows the drag, and the finished shape
// in canvas CSS px (the scene selects what lies inside it).
const SVG = 'http://www.w3.org/2000/svg';
const LASSO_STEP = 2; // CSS px between recorded lasso vertices

/** Create the overlay inside `container` (the plot's element); coordinates are relative to it. */
export function createShapeOverlay(container) {
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('class', 'shape-overlay');
  svg.setAttribute('aria-hidden', 'true');
  const rect = document.createElementNS(SVG, 'rect');
  rect.setAttribute('class', 'shape-box');
  const path = document.createElementNS(SVG, 'polygon');
  path.setAttribute('class', 'shape-lasso');
  svg.append(rect, path);
  svg.hidden = true;
  container.append(svg);

  let kind = null; // 'box' | 'lasso' while drawing
  let x0 = 0;
  let y0 = 0;
  let x1 = 0;
  let y1 = 0;
  let polygon = [];

  function draw() {
    if (kind === 'box') {
      rect.setAttribute('x', String(Math.min(x0, x1)));
      rect.setAttribute('y', String(Math.min(y0, y1)));
      rect.setAttribute('width', String(Math.abs(x1 - x0)));
      rect.setAttribute('height', String(Math.abs(y1 - y0)));
    } else {
      path.setAttribute('points', polygon.join(' '));
    }
  }

  return {
    /** Whether a shape is being drawn. */
    get active() {
      return kind !== null;
    },
    /** Start a `box` or `lasso` at (x, y). */
    begin(next, x, y) {
      kind = next;
      x0 = x1 = x;
      y0 = y1 = y;
      polygon = [x, y];
      rect.hidden = kind !== 'box';
      path.hidden = kind !== 'lasso';
      svg.hidden = false;
      draw();
    },
    /** The pointer moved to (x, y). */
    extend(x, y) {
      if (!kind) return;
      x1 = x;
      y1 = y;
      const n = polygon.length;
      if (kind === 'lasso' && Math.hypot(x - polygon[n - 2], y - polygon[n - 1]) >= LASSO_STEP) polygon.push(x, y);
      draw();
    },
    /** Stop drawing; the shape: {kind: 'box', rect: [x0, y0, x1, y1]} | {kind: 'lasso', polygon: [x, y, ...]} | null. */
    finish() {
      const done = kind;
      kind = null;
      svg.hidden = true;
      if (done === 'box') return { kind: 'box', rect: [x0, y0, x1, y1] };
      if (done === 'lasso') return { kind: 'lasso', polygon };
      return null;
    },
    /** Drop the shape being drawn. */
    cancel() {
      kind = null;
      svg.hidden = true;
    },
    dispose() {
      svg.remove();
    },
  };
}
