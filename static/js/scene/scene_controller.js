// Feeds the scatter view from the store (positions, colours, flags, labels, hover) and reports the
// user's picks through actions. It owns the mapping between draw order and dataset rows.
import { buildPositions, FLAG } from './points_layer.js';
import { createScatterView } from './scatter_view.js';
import { colorRows } from '../colors.js';
import { labelOf } from '../metadata.js';

/** Create the scatter view in `container`, fed from `store`; picks go to actions.hoverPoint / selectPoint. */
export function createScene(container, store, actions) {
  let coords = null; // the coords object currently drawn
  let rowsOfIndex = null; // Int32Array when isolated, else null (draw index === row)
  let indexOfRow = null; // Map row -> draw index when isolated
  let count = 0;
  let flags = new Float32Array(0);

  const rowOf = (index) => (rowsOfIndex ? rowsOfIndex[index] : index);
  const indexOf = (row) => {
    if (rowsOfIndex) return indexOfRow.get(row) ?? -1;
    return row >= 0 && row < count ? row : -1;
  };

  function drawPositions(state, reset) {
    coords = state.coords;
    if (!coords) {
      count = 0;
      rowsOfIndex = null;
      view.setPositions(new Float32Array(0), { resetCamera: reset });
      return;
    }
    count = coords.n;
    if (rowsOfIndex !== coords.rows) {
      rowsOfIndex = coords.rows;
      indexOfRow = rowsOfIndex ? new Map(Array.from(rowsOfIndex, (row, i) => [row, i])) : null;
    }
    view.setPositions(buildPositions(coords, state.projection.axes, state.camera.mode), { resetCamera: reset });
  }

  function drawColors(state) {
    if (!count) return;
    const source = state.coloring?.colors;
    if (!source) {
      view.setColors(colorRows(count, null).colors);
      return;
    }
    if (!rowsOfIndex) {
      view.setColors(source.length === count * 3 ? source : colorRows(count, null).colors);
      return;
    }
    const colors = new Float32Array(count * 3);
    for (let i = 0; i < count; i++) {
      const from = rowsOfIndex[i] * 3;
      colors[i * 3] = source[from];
      colors[i * 3 + 1] = source[from + 1];
      colors[i * 3 + 2] = source[from + 2];
    }
    view.setColors(colors);
  }

  function drawFlags(state) {
    if (!count) return;
    if (flags.length !== count) flags = new Float32Array(count);
    else flags.fill(FLAG.NONE);
    let any = false;
    for (const row of state.selection) {
      const i = indexOf(row);
      if (i < 0) continue;
      flags[i] = FLAG.SELECTED;
      any = true;
    }
    for (const { row } of state.neighbors) {
      const i = indexOf(row);
      if (i >= 0 && flags[i] === FLAG.NONE) flags[i] = FLAG.NEIGHBOR;
    }
    view.setFlags(flags, any);
  }

  function drawLabels(state) {
    const list = [];
    for (const row of state.selection.slice(0, 200)) {
      const index = indexOf(row);
      if (index >= 0) list.push({ index, text: labelOf(state, row), kind: 'selected' });
    }
    for (const { row } of state.neighbors) {
      const index = indexOf(row);
      if (index >= 0) list.push({ index, text: labelOf(state, row), kind: 'neighbor' });
    }
    view.setLabels(state.metadata ? list : []);
  }

  function drawHover(state) {
    const index = state.hover === null ? -1 : indexOf(state.hover);
    view.setHover(index, index >= 0 ? labelOf(state, state.hover) : '');
  }

  function drawAll(state, reset) {
    view.setMode(state.camera.mode);
    drawPositions(state, reset);
    drawColors(state);
    drawFlags(state);
    drawLabels(state);
    drawHover(state);
  }

  const view = createScatterView(container, {
    onHover: (index) => actions.hoverPoint(index < 0 ? null : rowOf(index)),
    onClick: (index) => actions.selectPoint(rowOf(index)),
    onDrawn: () => actions.viewDrawn(coords),
  });

  const unsubscribe = [
    // A new result resets the camera; a new component choice or 2D/3D keeps it.
    store.subscribe(['coords', 'projection', 'camera'], (s, changed) => drawAll(s, changed.includes('coords'))),
    store.subscribe(['coloring'], drawColors),
    store.subscribe(['selection', 'neighbors'], (s) => {
      drawFlags(s);
      drawLabels(s);
    }),
    store.subscribe(['labelBy', 'metadata'], (s) => {
      drawLabels(s);
      drawHover(s);
    }),
    store.subscribe(['hover'], drawHover),
  ];
  drawAll(store.get(), true);

  return {
    /** The WebGL canvas (carries data-points and data-mode for tests). */
    canvas: view.canvas,
    /** Page (client) CSS position of dataset row `row`, or null when not drawn or off screen. */
    screenPositionOf(row) {
      const index = indexOf(row);
      return index < 0 ? null : view.clientPositionOf(index);
    },
    dispose() {
      for (const off of unsubscribe) off();
      view.dispose();
    },
  };
}
