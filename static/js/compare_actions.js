// Compare two embeddings of the same items (issue 13, item 5): run the compare job, make its
// per-point overlap a derived column, and feed the second map (store.compareCoords): the other
// dataset's PCA, its points put in this dataset's row space through the match.
import * as api from './api.js';
import { errorText } from './projection_runs.js';

export const OVERLAP_COLUMN = 'overlap';
const OTHER_PCA_COMPONENTS = 3;

/**
 * Wait for job status `first` to end: the final status (done, failed or cancelled); onStatus on each.
 * `onWatch(close)` receives the function that stops following it (Stop and Close call it).
 */
function finished(first, onStatus, onWatch = () => {}) {
  if (api.TERMINAL.has(first.status)) return Promise.resolve(first);
  return new Promise((resolve, reject) => {
    const close = api.watchJob(first.id, {
      onStatus: (status) => {
        onStatus(status);
        if (api.TERMINAL.has(status.status)) resolve(status);
      },
      onLost: () => api.getJob(first.id).then((s) => (api.TERMINAL.has(s.status) ? resolve(s) : reject(new Error('Lost contact with the comparison job'))), reject),
    });
    onWatch(() => {
      close();
      resolve({ ...first, status: 'cancelled' });
    });
  });
}

/**
 * The second map's coords object: the other layout's point for each shown row of this dataset
 * that has a match (rows: the dataset rows drawn, as an isolated view's), or null.
 */
export function compareCoordsOf(compare, shownRows) {
  if (!compare?.layout || !compare.otherRows) return null;
  const { layout, otherRows } = compare;
  // A layout of some of the other rows (an isolated view's PCA): its point index of each other row.
  const at = layout.rows ? new Map(Array.from(layout.rows, (r, i) => [r, i])) : null;
  const indexOf = (row) => (otherRows[row] < 0 ? -1 : at ? at.get(otherRows[row]) ?? -1 : otherRows[row]);
  const rows = [];
  const take = (row) => {
    if (indexOf(row) >= 0) rows.push(row);
  };
  if (shownRows) shownRows.forEach(take);
  else for (let row = 0; row < otherRows.length; row++) take(row);
  const d = layout.d;
  const data = new Float32Array(rows.length * d);
  rows.forEach((row, i) => data.set(layout.data.subarray(indexOf(row) * d, indexOf(row) * d + d), i * d));
  return {
    data, n: rows.length, d, rows: Int32Array.from(rows), job: layout.job, key: `compare:${layout.job}`,
    view: `compare:${layout.job}:${shownRows ? shownRows.length : 'all'}`, method: 'pca', seq: 'final',
  };
}

/**
 * Actions: compareWith({dataset, key, k}), stopCompare(), closeCompare(), and followView(v) for a
 * restored ViewState. `core`: the derived-column actions; `colors`: setColorBy (a view's `overlap`).
 */
export function createCompareActions(store, core, colors = null) {
  const state = store.get;
  let token = 0;
  let drawnFor; // the shown rows the second map was last built for
  let running = null; // {id, cancelKey, unwatch} of the compare job this tab started and still follows
  let colorWhenReady = false; // a restored view coloured by the overlap: colour once the column arrives

  // Cancel the running compare job on the server (its cancel key), and stop following it.
  function cancelRunning() {
    const job = running;
    running = null;
    if (!job) return;
    job.unwatch?.();
    api.cancelJob(job.id, job.cancelKey).catch(() => {}); // finished or gone meanwhile: nothing to stop
  }

  const patch = (fields) => store.update({ compare: { ...state().compare, ...fields } });
  const shownRows = () => state().coords?.rows ?? null;

  // Half the width frames less: the first map fits its points again when the second opens or closes.
  const refit = () => store.update({ cameraRequest: { kind: 'reset', seq: (state().cameraRequest?.seq ?? 0) + 1 } });

  function redraw(fit = false) {
    drawnFor = shownRows();
    store.update({ compareCoords: compareCoordsOf(state().compare, shownRows()) });
    if (fit) refit();
  }

  // `fit`: frame the narrower first map anew (not for a restored view: its camera was shared that way).
  async function compareWith({ dataset, key = null, k = 10 }, { fit = true } = {}) {
    cancelRunning();
    const mine = ++token;
    colorWhenReady = colorWhenReady && mine === restoreToken;
    const current = () => mine === token && state().compare?.for === state().dataset;
    const other = state().datasets.find((d) => d.id === dataset);
    store.update({
      compare: {
        dataset, key: key || null, k, for: state().dataset, otherName: other?.name || dataset,
        busy: true, progress: 0, message: 'Comparing…', error: null, job: null, summary: null,
        mostChanged: [], otherRows: null, layout: null,
      },
      compareCoords: null,
    });
    try {
      const params = { other: dataset, k, ...(key ? { key } : {}) };
      const started = await api.createProjection(state().dataset, api.projectionBody('compare', params, null));
      if (!current()) {
        // Stopped, closed or replaced before the start answered: cancel the job it started.
        if (!api.TERMINAL.has(started.status)) api.cancelJob(started.id, started.cancel_key ?? null).catch(() => {});
        return;
      }
      patch({ job: started.id });
      const job = { id: started.id, cancelKey: started.cancel_key ?? null, unwatch: null };
      if (!api.TERMINAL.has(started.status)) running = job;
      const done = await finished(started, (s) => current() && patch({ progress: s.progress ?? 0 }), (close) => {
        job.unwatch = close;
      });
      if (running === job) running = null;
      if (!current()) return;
      if (done.status !== 'done') throw new Error(done.error || `the comparison ${done.status}`);
      const [overlap, matched, otherRows] = await Promise.all(
        ['overlap', 'matched', 'other_rows'].map((name) => api.getResultArray(done.id, name)),
      );
      if (!current()) return;
      const values = Array.from(overlap.data, (v, i) => (matched.data[i] ? v : null));
      core.setDerivedColumn({ name: OVERLAP_COLUMN, type: 'numeric', values, source: `compare:${done.id}` });
      if (colorWhenReady && mine === restoreToken) colors?.setColorBy(OVERLAP_COLUMN);
      colorWhenReady = false;
      patch({ summary: done.extras, mostChanged: done.extras.most_changed ?? [], otherRows: otherRows.data, message: 'Drawing the other map…' });
      // The other map: the other dataset's PCA (cached like any PCA).
      const pca = await api.createProjection(dataset, api.projectionBody('pca', { components: OTHER_PCA_COMPONENTS }, null));
      const pcaDone = await finished(pca, () => {});
      if (!current()) return;
      if (pcaDone.status !== 'done') throw new Error(pcaDone.error || `the other dataset's PCA ${pcaDone.status}`);
      const coords = await api.getCoords(pcaDone.id);
      if (!current()) return;
      const full = { ...coords, job: pcaDone.id, method: 'pca' };
      patch({ busy: false, progress: 1, message: '', layout: full, fullLayout: full, isolatedPca: false });
      redraw(fit);
      if (shownRows()) followRows();
    } catch (err) {
      if (current()) patch({ busy: false, error: errorText(err), message: '' });
    }
  }

  // Stop: cancel the running comparison; the control stays open with a "Stopped" line.
  function stopCompare() {
    if (!state().compare?.busy) return;
    token++;
    cancelRunning();
    patch({ busy: false, message: '', note: 'Comparison stopped.' });
  }

  function closeCompare() {
    token++;
    cancelRunning();
    colorWhenReady = false;
    if (!state().compare && !state().compareCoords) return;
    const wasOpen = !!state().compareCoords;
    store.update({ compare: null, compareCoords: null });
    core.dropDerivedColumn(OVERLAP_COLUMN);
    if (wasOpen && state().coords) refit();
  }

  // Isolated points: the other map is the other dataset's PCA of the rows matched to them (falling
  // back to its PCA of all rows when that cannot run); all points again: its full PCA.
  async function followRows() {
    const c = state().compare;
    const rows = shownRows();
    drawnFor = rows;
    if (!c?.fullLayout) return;
    if (!rows) {
      patch({ layout: c.fullLayout, isolatedPca: false });
      redraw();
      return;
    }
    const mine = token;
    const stale = () => mine !== token || shownRows() !== rows || !state().compare;
    const other = [...new Set(Array.from(rows, (r) => c.otherRows[r]).filter((r) => r >= 0))].sort((a, b) => a - b);
    let layout = c.fullLayout;
    try {
      if (other.length > OTHER_PCA_COMPONENTS) {
        const job = await api.createProjection(c.dataset, api.projectionBody('pca', { components: OTHER_PCA_COMPONENTS }, other));
        const done = await finished(job, () => {});
        if (stale()) return;
        if (done.status === 'done') layout = { ...(await api.getCoords(done.id)), rows: Int32Array.from(other), job: done.id, method: 'pca' };
      }
    } catch {
      // The other map keeps the PCA of all the other rows; its caption says so.
    }
    if (stale()) return;
    patch({ layout, isolatedPca: layout !== c.fullLayout });
    redraw();
  }

  // Another dataset ends the comparison; isolating or another layout redraws the second map.
  store.subscribe(['dataset'], (s) => {
    if (s.compare && s.compare.for !== s.dataset) closeCompare();
  });
  store.subscribe(['coords'], (s) => {
    if (s.compare?.fullLayout && shownRows() !== drawnFor) followRows();
  });

  let restoreToken = -1; // the token of the comparison a restored view started

  return {
    compareWith,
    stopCompare,
    closeCompare,
    /** A restored ViewState's `compare`: start that comparison (unless it is the one shown), or close. */
    followView(v) {
      const want = v?.compare ?? null;
      const have = state().compare;
      if (!want) {
        closeCompare();
        return;
      }
      const same = have && have.dataset === want.dataset && (have.key ?? null) === (want.key ?? null) && have.k === (want.k ?? 10);
      const colour = v.colorBy === OVERLAP_COLUMN;
      if (!same || have.error) {
        restoreToken = token + 1;
        colorWhenReady = colour;
        compareWith({ dataset: want.dataset, key: want.key ?? null, k: want.k ?? 10 }, { fit: false });
      } else if (colour) {
        if (state().derivedColumns.some((c) => c.name === OVERLAP_COLUMN)) colors?.setColorBy(OVERLAP_COLUMN);
        else {
          restoreToken = token;
          colorWhenReady = true;
        }
      }
    },
  };
}
