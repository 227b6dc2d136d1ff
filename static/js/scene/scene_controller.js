// Feeds the scatter view from the store (positions, colours, flags, labels, hover) and reports the
// user's picks through actions. It owns the mapping between draw order and dataset rows.
import { buildPositions, FLAG } from './points_layer.js';
import { sequencePairs } from './sequences_layer.js';
import { createScatterView } from './scatter_view.js';
import { colorRows, hexToRgb, neighborColor, neighborScale, SELECTED_COLOR } from '../colors.js';
import { THEME_COLORS } from '../theme.js';
import { labelOf, sequenceColumn } from '../metadata.js';
import { thumbStyle } from '../sprite_thumbs.js';
import { roundCamera } from '../view_state.js';

const NATURAL_AXES = [0, 1, 2];
const POSE_DELAY_MS = 150; // report the camera pose at most this often while it moves

const samePose = (a, b) => JSON.stringify(roundCamera(a)) === JSON.stringify(roundCamera(b));

/** Two coords objects from one run of one job (snapshots, then the final result): same points, same camera. */
function sameRun(a, b) {
  return !!a && !!b && a.key === b.key && a.job === b.job && a.n === b.n && a.rows === b.rows;
}

/**
 * Create the scatter view in `container`, fed from `store`; picks go to actions.hoverPoint / selectPoint.
 * `source` is the store key of the coords drawn; a second view (compare: the other embedding)
 * passes its own and `primary: false`, so it never reports the page's view as drawn.
 */
export function createScene(container, store, actions, { source = 'coords', primary = true } = {}) {
  let coords = null; // the coords object currently drawn
  let rowsOfIndex = null; // Int32Array when isolated, else null (draw index === row)
  let indexOfRow = null; // Map row -> draw index when isolated
  let count = 0;
  let flags = new Float32Array(0);
  let knownPose = null; // the store's camera.pose this view last reported or applied
  let poseTimer = 0;

  const rowOf = (index) => (rowsOfIndex ? rowsOfIndex[index] : index);
  const indexOf = (row) => {
    if (rowsOfIndex) return indexOfRow.get(row) ?? -1;
    return row >= 0 && row < count ? row : -1;
  };

  let positionsOf = { coords: null, axes: '', mode: '' }; // what the positions on screen were built from

  function drawPositions(state, how) {
    coords = state[source];
    if (!coords) {
      count = 0;
      rowsOfIndex = null;
      positionsOf = { coords: null, axes: '', mode: '' };
      view.setPositions(new Float32Array(0), how);
      return;
    }
    count = coords.n;
    if (rowsOfIndex !== coords.rows) {
      rowsOfIndex = coords.rows;
      indexOfRow = rowsOfIndex ? new Map(Array.from(rowsOfIndex, (row, i) => [row, i])) : null;
    }
    // PCA shows the chosen components; the other methods' coordinates are the layout itself.
    const axes = coords.method === 'pca' || !coords.method ? state.projection.axes : NATURAL_AXES;
    const drawn = { coords, axes: axes.join(','), mode: state.camera.mode };
    // The same points on the same axes (a projection object rewritten to equal values): the upload
    // and the frame of a million points would change nothing.
    const same = !how.resetCamera && !view.animating && positionsOf.coords === drawn.coords
      && positionsOf.axes === drawn.axes && positionsOf.mode === drawn.mode;
    positionsOf = drawn;
    if (!same) view.setPositions(buildPositions(coords, axes, state.camera.mode), how);
  }

  let drawnColors = new Float32Array(0); // reused: the colours of the points drawn, in draw order
  const selectedRgb = hexToRgb(SELECTED_COLOR);

  function drawColors(state) {
    if (!count) return;
    const source = state.coloring?.colors;
    if (drawnColors.length !== count * 3) drawnColors = new Float32Array(count * 3);
    if (!source || (!rowsOfIndex && source.length !== count * 3)) drawnColors.set(colorRows(count, null).colors);
    else if (!rowsOfIndex) drawnColors.set(source);
    else {
      for (let i = 0; i < count; i++) {
        const from = rowsOfIndex[i] * 3;
        drawnColors[i * 3] = source[from];
        drawnColors[i * 3 + 1] = source[from + 1];
        drawnColors[i * 3 + 2] = source[from + 2];
      }
    }
    // One selected point: it gets its own colour and its neighbours a scale by distance (nearest
    // strongest). A bigger selection (a box, a legend entry) keeps its colours: they still say
    // which category each point is in, and the rings and the dimmed rest already mark it.
    if (state.selection.length === 1) {
      const scale = neighborScale(state.neighbors);
      state.neighbors.forEach(({ row }, k) => {
        const i = indexOf(row);
        if (i >= 0) neighborColor(scale[k], drawnColors, i * 3, state.theme);
      });
      const i = indexOf(state.selection[0]);
      if (i >= 0) drawnColors.set(selectedRgb, i * 3);
    }
    view.setColors(drawnColors);
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

  // The label of any drawn point, for "all visible points"; a new function only when what it reads changes.
  let textOf = null;
  let textOfInputs = [];
  function labelTextOf(state) {
    const inputs = [state.metadata, state.labelBy, rowsOfIndex];
    if (!textOf || inputs.some((v, i) => v !== textOfInputs[i])) {
      textOfInputs = inputs;
      textOf = state.metadata ? (index) => labelOf(state, rowOf(index)) : null;
    }
    return textOf;
  }

  function drawLabels(state) {
    const list = [];
    if (state.metadata && state.labelMode !== 'off') {
      for (const row of state.selection.slice(0, 200)) {
        const index = indexOf(row);
        if (index >= 0) list.push({ index, text: labelOf(state, row), kind: 'selected' });
      }
      for (const { row } of state.neighbors) {
        const index = indexOf(row);
        if (index >= 0) list.push({ index, text: labelOf(state, row), kind: 'neighbor' });
      }
    }
    view.setLabels(list, {
      mode: state.labelMode,
      size: state.labelSize,
      depth3d: state.labels3d && state.camera.mode === '3d',
      textOf: labelTextOf(state),
    });
  }

  /** The sprite description of the dataset on screen, or null (none, not loaded yet). */
  const spriteOf = (state) => (state.info && state.info.id === state.dataset ? state.info.sprite ?? null : null);

  function drawHover(state) {
    const index = state.hover === null ? -1 : indexOf(state.hover);
    const thumb = index >= 0 ? thumbStyle(spriteOf(state), state.hover, 64) : null;
    view.setHover(index, index >= 0 ? labelOf(state, state.hover) : '', thumb);
  }

  function drawSprites(state) {
    // Thumbnails multiply with the point colours only while colouring by a column says something.
    view.setSprites(count ? spriteOf(state) : null, rowsOfIndex, state.coloring?.legend ? 0.7 : 0, state.showSprites);
  }

  // The sequence pairs are rebuilt only when the points drawn or the column change, not on a toggle.
  let pairsOf = { values: null, coords: null, pairs: new Uint32Array(0) };
  function drawSequences(state) {
    const values = count ? sequenceColumn(state)?.values ?? null : null;
    if (values !== pairsOf.values || coords !== pairsOf.coords) {
      const pairs = values ? sequencePairs(values, count, rowOf, indexOf) : new Uint32Array(0);
      pairsOf = { values, coords, pairs };
    }
    view.setSequences(pairsOf.pairs, state.showSequences);
  }

  // Faithfulness rings of the selected point (faithfulness_actions.js puts dataset rows in the store).
  function drawMarks({ faithfulMarks }) {
    const list = [];
    for (const [kind, rows] of [['false', faithfulMarks?.falseRows], ['missed', faithfulMarks?.missedRows]]) {
      for (const row of rows ?? []) {
        const index = indexOf(row);
        if (index >= 0) list.push({ index, kind });
      }
    }
    view.setMarks(list, faithfulMarks ? indexOf(faithfulMarks.row) : -1);
  }

  /** The clusters' names at their centres (cluster_actions.js): each drawn point's cluster, from its row. */
  function drawClusters(state) {
    const c = state.clusters;
    if (!count || !c?.codes) {
      view.setClusterLabels(null, []);
      return;
    }
    const codes = new Int32Array(count);
    for (let i = 0; i < count; i++) codes[i] = c.codes[rowOf(i)] ?? -2;
    view.setClusterLabels(codes, c.list.map((cluster) => cluster.label));
  }

  function drawAll(state, how) {
    view.setMode(state.camera.mode);
    drawPositions(state, how);
    drawColors(state);
    drawFlags(state);
    drawLabels(state);
    drawHover(state);
    drawSequences(state);
  }

  const view = createScatterView(container, {
    onHover: (index) => actions.hoverPoint(index < 0 ? null : rowOf(index)),
    // Shift/Ctrl-click edits the current selection (TensorBoard's "edit current selection").
    onClick: (index, { toggle }) => (toggle ? actions.selectRows([rowOf(index)], 'toggle', 'point') : actions.selectPoint(rowOf(index))),
    onShape: (indices, op) => actions.selectRows(rowsOfIndex ? indices.map(rowOf) : indices, op, 'shape'),
    onFocus: (index) => actions.selectPoint(rowOf(index)),
    onDrawn: () => (primary ? actions.viewDrawn(coords) : undefined),
    onCamera: () => {
      if (!poseTimer) poseTimer = setTimeout(reportPose, POSE_DELAY_MS);
    },
  });

  function reportPose() {
    poseTimer = 0;
    const pose = view.getCamera();
    if (samePose(pose, store.get().camera.pose)) return;
    knownPose = pose;
    actions.cameraMoved?.(pose);
  }

  /** A pose put into the store by someone else (a restored view) moves the camera; after the points, so a new layout's fit does not undo it. */
  function applyPose(state, force = false) {
    const pose = state.camera.pose;
    if (!pose || (pose === knownPose && !force)) return;
    knownPose = pose;
    view.setCamera(pose);
  }

  /** Carry out a toolbar camera request: 'reset' fits every point drawn, 'fit' the selection (and a single point's neighbours). */
  function followCameraRequest(state) {
    const request = state.cameraRequest;
    if (!request || !count || !primary) return; // a second map follows the first one's camera
    if (request.kind === 'reset') {
      view.fit(null);
      return;
    }
    const rows = state.selection.length === 1 ? [state.selection[0], ...state.neighbors.map((nb) => nb.row)] : state.selection;
    const indices = rows.map(indexOf).filter((i) => i >= 0);
    if (indices.length) view.fit(indices);
  }

  const unsubscribe = [
    store.subscribe([source, 'projection', 'camera'], (s, changed) => {
      const before = coords;
      const poseOnly = changed.length === 1 && changed[0] === 'camera' && s.camera.mode === view.canvas.dataset.mode;
      if (poseOnly) {
        // nothing to redraw: applyPose below
      } else if (!changed.includes(source)) {
        drawAll(s, { resetCamera: false, animate: false }); // a component or 2D/3D choice: jump
      } else if (sameRun(before, s[source])) {
        drawPositions(s, { resetCamera: false, animate: true }); // the next snapshot of a run
      } else {
        // A new layout fits the camera once; it glides there when the points are the same ones.
        const samePoints = !!before && !!s[source] && before.view === s[source].view && before.n === s[source].n;
        drawAll(s, { resetCamera: primary, animate: samePoints }); // a second map keeps the shared camera
      }
      applyPose(s);
    }),
    store.subscribe(['coloring'], drawColors),
    store.subscribe(['labelMode', 'labelSize', 'labels3d'], drawLabels),
    store.subscribe(['selection', 'neighbors'], (s) => {
      drawColors(s);
      drawFlags(s);
      drawLabels(s);
    }),
    store.subscribe(['theme'], (s) => {
      view.setTheme(THEME_COLORS[s.theme] ?? THEME_COLORS.day);
      drawColors(s); // the neighbour scale is the theme's
    }),
    store.subscribe(['labelBy', 'metadata'], (s) => {
      drawLabels(s);
      drawHover(s);
    }),
    store.subscribe(['hover'], drawHover),
    store.subscribe(['faithfulMarks', 'coords'], drawMarks),
    store.subscribe(['metadata', 'showSequences'], drawSequences),
    store.subscribe(['tool'], (s) => view.setTool(s.tool)),
    store.subscribe(['pointSize'], (s) => view.setPointScale(s.pointSize)),
    store.subscribe(['cameraRequest'], followCameraRequest),
    store.subscribe(['clusters', 'coords'], drawClusters),
    store.subscribe(['showDensity'], (s) => view.setContours(s.showDensity)),
    // After the positions (subscribed above): the cells follow the rows drawn.
    store.subscribe([source, 'info', 'showSprites', 'coloring'], drawSprites),
  ];
  view.setTheme(THEME_COLORS[store.get().theme] ?? THEME_COLORS.day);
  drawAll(store.get(), { resetCamera: true, animate: false });
  if (!primary) applyPose(store.get(), true); // before it reports its own home pose as the shared one
  view.setTool(store.get().tool);
  view.setPointScale(store.get().pointSize);
  drawClusters(store.get());
  view.setContours(store.get().showDensity);

  return {
    /** The WebGL canvas (carries data-points and data-mode for tests). */
    canvas: view.canvas,
    /** Page (client) CSS position of dataset row `row`, or null when not drawn or off screen. */
    screenPositionOf(row) {
      const index = indexOf(row);
      return index < 0 ? null : view.clientPositionOf(index);
    },
    /** The camera's pose now: {position, target, zoom} (read-only; tests compare it). */
    camera: () => view.getCamera(),
    dispose() {
      clearTimeout(poseTimer);
      for (const off of unsubscribe) off();
      view.dispose();
    },
  };
}
