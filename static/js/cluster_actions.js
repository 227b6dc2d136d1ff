// Clusters of the layout on screen (the `clusters` job method): start the job, follow it, and turn
// its result into the categorical derived column "cluster" (coloured by at once) plus the cluster
// names the map draws at their centres (scene/cluster_labels_layer.js). Also the Density toggle.
import * as api from './api.js';
import { spreadOverRows } from './derived_columns.js';

/** The derived column's name (also what a shared view's colorBy names). */
export const CLUSTER_COLUMN = 'cluster';
/** The value of rows HDBSCAN leaves out. */
export const NOISE = 'noise';

/** The job parameters for the form's values on the layout on screen (PCA: the components shown). */
export function clusterParams(state, { minClusterSize, minSamples, space, labelColumn }) {
  const c = state.coords;
  const params = { layout: c.job, space };
  if (c.method === 'pca') params.axes = state.projection.axes.slice(0, state.camera.mode === '2d' ? 2 : 3);
  if (minClusterSize) params.min_cluster_size = minClusterSize;
  if (minSamples) params.min_samples = minSamples;
  if (labelColumn) params.label_column = labelColumn;
  return params;
}

/** Actions: findClusters(form), showClusters(job), restoreClusters(view), clearClusters(), setShowDensity(on). */
export function createClusterActions(store, core, derived) {
  const state = store.get;
  let closeWatch = () => {};
  let token = 0;

  function fail(err, mine) {
    if (mine !== token) return;
    store.update({ clusters: { ...(state().clusters ?? {}), status: 'failed', error: err?.message ?? String(err) } });
  }

  /** Fetch a finished clusters job and show it: the "cluster" column, its colours and the names on the map. */
  async function showClusters(job, { color = true } = {}) {
    const mine = ++token;
    closeWatch();
    try {
      const status = typeof job === 'string' ? await api.getJob(job) : job;
      if (status.method !== 'clusters' || status.status !== 'done') throw new Error(`clusters result ${status.id} is ${status.status}`);
      const [labels, layout] = await Promise.all([api.getResultArray(status.id, 'labels'), api.getJob(status.params.layout)]);
      if (mine !== token) return false;
      const n = state().info?.n ?? 0;
      const rows = layout.rows ? await layoutRows(status.params.layout, layout.rows) : null;
      if (mine !== token) return false;
      const list = status.extras.clusters ?? [];
      const names = list.map((c) => c.label);
      const codes = new Int32Array(n).fill(-2); // -2: not in the job's rows, -1: noise
      const values = Array.from(labels.data, (id, i) => {
        codes[rows ? rows[i] : i] = id;
        return id < 0 ? NOISE : names[id];
      });
      derived.setDerivedColumn({
        name: CLUSTER_COLUMN, type: 'text', values: spreadOverRows(n, values, rows), source: status.id, neutral: NOISE,
      });
      store.update({
        clusters: { job: status.id, status: 'done', progress: 1, error: null, list, codes, noise: status.extras.noise ?? 0 },
      });
      if (color) core.setColorBy(CLUSTER_COLUMN);
      return true;
    } catch (err) {
      fail(err, mine);
      return false;
    }
  }

  // The rows of an isolated layout are the coordinates' rows on screen when they are that layout's.
  async function layoutRows(layoutJob, count) {
    const c = state().coords;
    if (c?.job === layoutJob && c.rows && c.rows.length === count) return c.rows;
    throw new Error('the clustered layout is not the one on screen');
  }

  /** Drop the clusters: the column, the names on the map. */
  function clearClusters() {
    token++;
    closeWatch();
    derived.dropDerivedColumn(CLUSTER_COLUMN);
    store.update({ clusters: null });
  }

  store.subscribe(['dataset'], () => {
    token++;
    closeWatch();
    if (state().clusters) store.update({ clusters: null });
  });

  return {
    showClusters,
    /** Run HDBSCAN on the layout on screen with the form's values ({minClusterSize, minSamples, space, labelColumn}). */
    async findClusters(form) {
      const s = state();
      if (!s.coords?.job || s.coords.seq !== 'final') return;
      const mine = ++token;
      closeWatch();
      store.update({ clusters: { job: null, status: 'running', progress: 0, error: null, list: [], codes: null, noise: 0 } });
      try {
        const first = await api.createProjection(s.dataset, api.projectionBody('clusters', clusterParams(s, form), null));
        if (mine !== token) return;
        const onStatus = (status) => {
          if (mine !== token) return;
          if (status.status === 'done') showClusters(status);
          else if (api.TERMINAL.has(status.status)) fail(new Error(status.error || `the clusters job was ${status.status}`), mine);
          else store.update({ clusters: { ...state().clusters, job: status.id, progress: status.progress } });
        };
        if (api.TERMINAL.has(first.status)) onStatus(first);
        else closeWatch = api.watchJob(first.id, { onStatus, onLost: () => api.getJob(first.id).then(onStatus, (e) => fail(e, mine)) });
      } catch (err) {
        fail(err, mine);
      }
    },
    /** The clusters of ViewState `v` (a shared view): shown, colouring by them when the view did. */
    async restoreClusters(v, current = () => true) {
      const job = v.clusters?.job ?? null;
      if (!job) {
        if (state().clusters) clearClusters();
        return;
      }
      if (state().clusters?.job !== job || state().clusters.status !== 'done') await showClusters(job, { color: false });
      if (current() && v.colorBy === CLUSTER_COLUMN && state().clusters?.status === 'done') core.setColorBy(CLUSTER_COLUMN);
    },
    clearClusters,
    /** Draw (or hide) the density contours under the points. */
    setShowDensity(on) {
      store.update({ showDensity: !!on });
    },
  };
}
