// "Can I trust this map": starts the faithfulness job for the layout on screen, follows it, turns
// its recall@k into the derived column "faithfulness", and marks the selected point's false and
// missed neighbours. A check describes one layout (job + axes drawn); when the layout on screen
// changes, the column, summary and marks are dropped (press Check again for the new one).
import * as api from './api.js';
import { spreadOverRows } from './derived_columns.js';

export const FAITHFULNESS_COLUMN = 'faithfulness';
export const DEFAULT_K = 10;

/** store.faithfulness when nothing has been checked (or the check was dropped). */
export const FAITHFULNESS_IDLE = Object.freeze({
  state: 'idle', // idle | running | done | error
  layout: null, // the signature of the layout checked (shownLayout().signature)
  job: null,
  k: DEFAULT_K,
  progress: 0,
  extras: null, // the job's extras: mean_recall, trustworthiness, continuity, sample, least_faithful, k
  least: [], // [{row, recall}], least faithful first
  error: null,
});

/**
 * The layout on screen as a faithfulness job sees it: {job, axes, signature, coords}, or null while
 * there is none or it is still running. axes = the layout's columns drawn (PCA: the components chosen).
 */
export function shownLayout(state) {
  const c = state.coords;
  if (!c || !c.job || c.seq !== 'final') return null;
  const natural = c.method === 'pca' || !c.method ? state.projection.axes : [0, 1, 2];
  const axes = natural.slice(0, state.camera.mode === '2d' ? 2 : 3).filter((a) => a < c.d);
  return { job: c.job, axes, signature: `${c.job}|${axes.join(',')}`, coords: c };
}

/** Positions of the k nearest points to position `p` in `coords` (row-major n x d) over `axes`, itself excluded. */
export function layoutNearest(coords, axes, p, k) {
  const { data, n, d } = coords;
  const best = []; // [{i, dist}] sorted by dist, at most k
  const q = axes.map((a) => data[p * d + a]);
  for (let i = 0; i < n; i++) {
    if (i === p) continue;
    let dist = 0;
    for (let j = 0; j < axes.length; j++) {
      const t = data[i * d + axes[j]] - q[j];
      dist += t * t;
    }
    if (best.length === k && dist >= best[k - 1].dist) continue;
    let at = best.length;
    while (at > 0 && best[at - 1].dist > dist) at--;
    best.splice(at, 0, { i, dist });
    if (best.length > k) best.pop();
  }
  return best.map((b) => b.i);
}

/** Actions of the faithfulness check; `core` has setColorBy, `derived` set/dropDerivedColumn. */
export function createFaithfulnessActions(store, core, derived) {
  const state = store.get;
  let closeWatch = () => {};
  let neighborsLoad = null; // {job, promise}: the one fetch of the check's original-space neighbours
  let neighbors = null; // {job, data, k}

  const current = (job) => state().faithfulness.job === job && state().faithfulness.state === 'running';
  const patch = (p) => store.update({ faithfulness: { ...state().faithfulness, ...p } });

  async function finish(status) {
    const recall = await api.getResultArray(status.id, 'recall');
    if (!current(status.id)) return;
    const shown = shownLayout(state());
    if (!shown || shown.signature !== state().faithfulness.layout) return;
    const rows = shown.coords.rows;
    if (recall.n !== shown.coords.n) throw new Error(`faithfulness: ${recall.n} values for ${shown.coords.n} points`);
    const extras = status.extras ?? {};
    const least = (extras.least_faithful ?? []).map((p) => ({ row: rows ? rows[p] : p, recall: recall.data[p] }));
    const n = state().info?.n ?? recall.n;
    // Recall is a multiple of 1/k: 0.1, not float32's 0.10000000149, in labels and the legend.
    const values = Array.from(recall.data, (v) => Math.round(v * 1e6) / 1e6);
    derived.setDerivedColumn({ name: FAITHFULNESS_COLUMN, type: 'numeric', values: spreadOverRows(n, values, rows), source: status.id });
    patch({ state: 'done', progress: 1, extras, least });
    core.setColorBy(FAITHFULNESS_COLUMN);
    updateMarks();
  }

  function receive(status) {
    if (!current(status.id)) return;
    if (status.status === 'done') {
      patch({ progress: 1 });
      finish(status).catch((err) => current(status.id) && patch({ state: 'error', error: err.message }));
    } else if (api.TERMINAL.has(status.status)) {
      patch({ state: 'error', error: status.error || `The check ${status.status}` });
    } else patch({ progress: status.progress ?? 0 });
  }

  function drop() {
    closeWatch();
    closeWatch = () => {};
    const column = state().derivedColumns.find((c) => c.name === FAITHFULNESS_COLUMN);
    if (column) derived.dropDerivedColumn(FAITHFULNESS_COLUMN);
    store.update({ faithfulness: FAITHFULNESS_IDLE, faithfulMarks: null });
  }

  /** The selected point's false and missed neighbours into store.faithfulMarks (null when not one point or no check). */
  function updateMarks() {
    const s = state();
    const f = s.faithfulness;
    const shown = shownLayout(s);
    if (f.state !== 'done' || s.selection.length !== 1 || !shown || shown.signature !== f.layout) {
      if (s.faithfulMarks !== null) store.update({ faithfulMarks: null });
      return;
    }
    if (!neighbors || neighbors.job !== f.job) {
      if (neighborsLoad?.job !== f.job) {
        const job = f.job;
        const promise = api.getResultArray(job, 'neighbors').then((a) => {
          neighbors = { job, data: a.data, k: a.d };
          updateMarks();
        }, (err) => {
          if (state().faithfulness.job === job) patch({ error: `Neighbour marks: ${err.message}` });
        });
        neighborsLoad = { job, promise };
      }
      return;
    }
    const row = s.selection[0];
    const rows = shown.coords.rows;
    const p = rows ? rows.indexOf(row) : row;
    if (p < 0 || p >= shown.coords.n) {
      store.update({ faithfulMarks: null });
      return;
    }
    const k = neighbors.k;
    const original = Array.from(neighbors.data.subarray(p * k, p * k + k));
    const onScreen = layoutNearest(shown.coords, shown.axes, p, k);
    const inOriginal = new Set(original);
    const inScreen = new Set(onScreen);
    const toRow = (i) => (rows ? rows[i] : i);
    store.update({
      faithfulMarks: {
        row,
        k,
        falseRows: onScreen.filter((i) => !inOriginal.has(i)).map(toRow),
        missedRows: original.filter((i) => !inScreen.has(i)).map(toRow),
      },
    });
  }

  return {
    /** Start the faithfulness job (recall@k, k 1..100) for the layout on screen, with the Inspector's metric. */
    async checkFaithfulness(k = DEFAULT_K) {
      const s = state();
      const shown = shownLayout(s);
      if (!shown || !s.dataset) return;
      drop();
      store.update({ faithfulness: { ...FAITHFULNESS_IDLE, state: 'running', layout: shown.signature, k } });
      const params = { layout: shown.job, k, metric: s.neighborParams.metric, axes: shown.axes };
      try {
        const status = await api.createProjection(s.dataset, api.projectionBody('faithfulness', params, null));
        if (state().faithfulness.layout !== shown.signature || state().faithfulness.state !== 'running') return;
        patch({ job: status.id });
        receive(status);
        if (!api.TERMINAL.has(status.status)) {
          closeWatch = api.watchJob(status.id, {
            onStatus: receive,
            onLost: () => current(status.id) && patch({ state: 'error', error: 'Lost contact with the faithfulness job' }),
          });
        }
      } catch (err) {
        if (state().faithfulness.layout === shown.signature) patch({ state: 'error', error: err.message });
      }
    },
    /** Drop the check when the layout on screen is no longer the one it describes. */
    followShownLayout() {
      const f = state().faithfulness;
      if (f.state === 'idle') return;
      if (shownLayout(state())?.signature !== f.layout) drop();
    },
    /** Recompute the selected point's marks (selection changed). */
    updateFaithfulMarks: updateMarks,
  };
}
