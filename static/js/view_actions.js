// User intents about the view as a whole: restore a ViewState (a link, Back/Forward, a bookmark)
// without recomputing its stored projection, share the current one, and keep the camera pose the
// scene reports. `actions` are the core ones (actions.js).
import * as api from './api.js';
import { errorText, isActive } from './projection_runs.js';
import { defaultParams } from './projection_params.js';
import { defaultLabelColumn } from './metadata.js';
import { currentRun, ownResult, pcaResult, resultKey, viewKey } from './results.js';
import { viewStateOf, withDefaults } from './view_state.js';

const NATURAL_AXES = [0, 1, 2];

const sameRows = (a, b) => (!a && !b) || (!!a && !!b && a.length === b.length && a.every((r, i) => r === b[i]));

/** The form values (kept as typed: strings) of `method` that produce a finished job's `params`. */
function formValues(method, params) {
  const form = { ...defaultParams()[method] };
  for (const [key, value] of Object.entries(params ?? {})) {
    if (!(key in form)) continue;
    const typed = typeof form[key] === 'string' || form[key] === null;
    form[key] = typed ? (value === null || value === undefined ? '' : String(value)) : value;
  }
  return form;
}

function clampAxes(axes, d) {
  return NATURAL_AXES.map((fallback, i) => {
    const a = Number.isInteger(axes?.[i]) ? axes[i] : fallback;
    return a < d ? a : Math.min(i, d - 1);
  });
}

/** Build the view actions over `store`; `edits` (edit_actions.js) switches the metadata's edit version. */
export function createViewActions(store, actions, edits = null, clusters = null) {
  const state = () => store.get();
  let restoreToken = 0;

  /** Whether view `v` shows another edit version than the one loaded (null: the latest). */
  function otherVersion(v) {
    const { editVersion, editLatest } = state();
    return v.editVersion !== null ? v.editVersion !== editVersion : editVersion !== editLatest;
  }

  function showError(message) {
    store.update({ status: { busy: false, message: '', error: message } });
  }

  /** The current state if it can be stored (a finished projection on screen): {view} or {error}. */
  function shareable() {
    const s = state();
    const view = viewStateOf(s);
    if (!view) return { error: 'Load a dataset first.' };
    if (s.phase !== 'ready' || isActive(currentRun(s))) return { error: 'Wait for the projection to finish, then try again.' };
    if (!view.projection) return { error: 'Only a finished projection can be saved: run it to the end first.' };
    return { view };
  }

  /**
   * Show the stored result `v.projection.job` for rows `rows` (fetched by id, never recomputed).
   * Answers false when it cannot (gone, or not this view's), after saying so.
   */
  async function showStored(v, rows, current, fetched = null) {
    const p = v.projection;
    const s0 = state();
    let key = resultKey(v.dataset, p.method, rows, !!p.sphereize, p.params?.dimensions, p.params?.source);
    let result = s0.results[key]?.coords.job === p.job && s0.results[key]?.final ? s0.results[key] : null;
    let status = null;
    if (!result) {
      let coords;
      try {
        ({ status, coords } = await (fetched ?? fetchStored(p.job)));
        if (!current()) return false;
        if (!api.TERMINAL.has(status.status) && status.dataset === v.dataset && status.method === p.method) {
          return followUnfinished(v, rows, status);
        }
        coords ??= await api.getCoords(p.job); // not done: the server says why
      } catch (err) {
        if (current()) showError(`The view's projection result could not be read (${errorText(err)}); showing PCA instead.`);
        return false;
      }
      if (!current()) return false;
      const n = rows ? rows.length : state().info?.n;
      if (status.status !== 'done' || status.dataset !== v.dataset || status.method !== p.method || coords.n !== n) {
        showError(`The view's projection result ${p.job} does not match its points; showing PCA instead.`);
        return false;
      }
      // A given layout is keyed by its source (x,y columns, a TensorBoard bookmark, ...), whatever made it.
      const source = p.method === 'given' ? String(status.params?.source ?? '') : undefined;
      key = resultKey(v.dataset, p.method, rows, !!status.sphereize, status.params?.dimensions, source);
      const view = viewKey(v.dataset, rows);
      const rowArray = rows ? Int32Array.from(rows) : null;
      result = {
        key,
        coords: { ...coords, rows: rowArray, job: p.job, key, view, method: p.method, seq: 'final', source },
        variance: status.extras?.explained_variance ?? [],
        final: true,
      };
    }
    const s = state();
    const params = { ...s.params };
    if (p.method === 'pca') params.pca = { ...params.pca, mode: v.dimensions === 2 ? '2d' : '3d' };
    else if (p.method === 'given') params.given = { source: result.coords.source };
    else if (status) params[p.method] = formValues(p.method, status.params);
    else if (params[p.method]?.dimensions) params[p.method] = { ...params[p.method], dimensions: String(result.coords.d) };
    const patch = {
      results: { ...s.results, [key]: result },
      isolated: rows,
      hover: null,
      params,
      projection: {
        ...s.projection,
        method: p.method,
        sphereize: status ? !!status.sphereize : !!p.sphereize,
        axes: p.method === 'pca' ? clampAxes(p.components, result.coords.d) : s.projection.axes,
      },
      status: { busy: false, message: '', error: null },
    };
    if (status && p.method !== 'pca' && p.method !== 'given') {
      const meta = { method: p.method, rows, view: result.coords.view, dataset: v.dataset };
      patch.runs = { ...s.runs, [key]: { meta, job: status, starting: false, error: null, receivedAt: performance.now() } };
    }
    store.update(patch);
    actions.show();
    return true;
  }

  /** Job `jobId`'s status and, when it is done, its coordinates: {status, coords | null}. */
  function fetchStored(jobId) {
    const fetched = api.getJob(jobId).then(async (status) => ({
      status,
      coords: status.status === 'done' ? await api.getCoords(jobId) : null,
    }));
    fetched.catch(() => {}); // showStored reads (and reports) the failure; not unhandled meanwhile
    return fetched;
  }

  /**
   * A link (or ep.show, which names its job at once) can name a job that has not finished. PCA
   * falls back to the page's own PCA of these points (false, quietly); another method becomes that
   * job's run, followed with its progress and snapshots as if Run had started it.
   */
  function followUnfinished(v, rows, status) {
    const method = status.method;
    if (method === 'pca' || method === 'given') return false;
    const key = resultKey(v.dataset, method, rows, !!status.sphereize, status.params?.dimensions);
    const s = state();
    store.update({
      isolated: rows,
      hover: null,
      params: { ...s.params, [method]: formValues(method, status.params) },
      projection: { ...s.projection, method, sphereize: !!status.sphereize },
      status: { busy: false, message: '', error: null },
    });
    actions.attachRun(key, { method, rows, view: viewKey(v.dataset, rows), dataset: v.dataset }, status);
    actions.show();
    return true;
  }

  /** Colour, labels, search, neighbour settings, selection and camera of `v` (the points are shown). */
  function applyRest(v) {
    const s = state();
    const columns = s.metadata?.columns ?? [];
    const has = (name) => columns.some((c) => c.name === name);
    const labelBy = v.labelBy && has(v.labelBy) ? v.labelBy : s.labelBy ?? defaultLabelColumn(columns);
    if (labelBy !== s.labelBy) actions.setLabelBy(labelBy);
    const colorBy = v.colorBy && has(v.colorBy) ? v.colorBy : null;
    if (colorBy !== s.colorBy) actions.setColorBy(colorBy);
    const metric = v.metric ?? s.neighborParams.metric; // null: an address that names none
    const paramsChanged = s.neighborParams.k !== v.neighbors || s.neighborParams.metric !== metric;
    if (paramsChanged) store.update({ neighborParams: { k: v.neighbors, metric } });
    const search = v.search ?? { query: '', column: null, regex: false };
    const now = state().search;
    if (now.query !== search.query || (now.column ?? null) !== (search.column ?? null) || now.regex !== !!search.regex) {
      actions.search({ query: search.query, column: search.column ?? null, regex: !!search.regex });
    }
    const n = state().info?.n ?? 0;
    const want = v.selection.filter((r) => r < n);
    if (!sameRows(state().selection, want)) {
      if (want.length === 1) actions.selectPoint(want[0]);
      else store.update({ selection: want, selectionSource: want.length ? 'search' : null, neighbors: [] });
    } else if (paramsChanged && want.length === 1) {
      actions.setNeighborParams({}); // the same point, other neighbours
    }
    // After the points: a new layout fits the camera, and this pose must win over that fit.
    if (v.camera) store.update({ camera: { ...state().camera, pose: { ...v.camera } } });
  }

  async function restoreView(v, current) {
    const opening = state().dataset !== v.dataset || !state().metadata;
    // A dataset to open is fetched while the list loads: a large one's metadata takes a while.
    const prefetched = opening ? actions.prefetchDataset(v.dataset, v.editVersion) : null;
    if (!state().datasets.length) {
      const datasets = await api.listDatasets();
      if (!current()) return;
      store.update({ datasets });
    }
    if (!state().datasets.some((d) => d.id === v.dataset)) {
      // A dataset the list leaves out (not public, and no write token here) still opens from a link.
      const info = await (prefetched?.described ?? api.getDataset(v.dataset)).catch(() => null);
      if (!current()) return;
      if (!info) {
        await actions.init(v.dataset); // says so, and shows another dataset
        return;
      }
      store.update({ datasets: [...state().datasets, { id: info.id, name: info.name, n: info.n, dim: info.dim }] });
    }
    const job = v.projection?.job ?? null;
    const rows = v.isolated?.length ? [...v.isolated] : null;
    const sphereize = !!v.projection?.sphereize;
    if (!!state().projection.sphereize !== sphereize) store.update({ projection: { ...state().projection, sphereize } });
    let fetched = null;
    if (opening) {
      // The stored result downloads while the dataset's metadata loads and is read, not after.
      if (job) fetched = fetchStored(job);
      // The first PCA is drawn in the dimensions asked for, not drawn again in them afterwards.
      const pcaMode = v.dimensions === 2 ? '2d' : '3d';
      if (!job && state().params.pca.mode !== pcaMode) {
        store.update({ params: { ...state().params, pca: { ...state().params.pca, mode: pcaMode } } });
      }
      // A dataset with given layouts opens on the Given tab unless the address names a projection.
      const loaded = await actions.loadDataset(v.dataset, {
        project: !job, preferGiven: !v.projection, editVersion: v.editVersion, prefetched,
      });
      if (!current() || !loaded) return;
    } else if (edits && otherVersion(v)) {
      await edits.showEditVersion(v.editVersion); // the tags as they were when the view was made
      if (!current()) return;
    }
    if (!job || !(await showStored(v, rows, current, fetched))) {
      if (!current()) return;
      // No stored result to show: the PCA of these points (computed, or kept from earlier), or
      // the given layout the dataset opened on.
      const opened = state().projection.method === 'given' ? 'given' : 'pca';
      const method = state().info?.coords_only ? 'given' : v.projection?.method ?? opened; // no vectors to project
      const params = { ...state().params, pca: { ...state().params.pca, mode: v.dimensions === 2 ? '2d' : '3d' } };
      store.update({ params, projection: { ...state().projection, method } });
      const missing = method === 'given' && !ownResult(state());
      if (missing || !sameRows(state().isolated, rows) || !state().coords || state().coords.seq !== 'final') {
        store.update({ isolated: rows });
        await actions.reproject();
        if (!current()) return;
      } else {
        actions.show();
      }
    }
    applyRest(v);
    if (clusters) await clusters.restoreClusters(v, current);
  }

  return {
    /**
     * Restore ViewState `v` (missing fields take their defaults). A stored projection result is
     * fetched by id, never re-run. `history` says how the address bar records it once done:
     * 'push' (a new entry: a bookmark) or 'replace' (opening a link, Back/Forward).
     */
    async restore(v, { history = 'push' } = {}) {
      const token = ++restoreToken;
      const current = () => token === restoreToken;
      store.update({ restoring: { token, history } });
      try {
        await restoreView(withDefaults(v), current);
      } catch (err) {
        if (current()) {
          console.warn(err);
          showError(errorText(err));
        }
      } finally {
        if (current()) store.update({ restoring: null });
      }
    },
    /** The shareable state now: {view} or {error} (e.g. a projection still running). */
    shareable,
    /** Store the current view on the server; its link lands in store.share. */
    async share() {
      const { view, error } = shareable();
      if (error) {
        store.update({ share: { open: true, busy: false, url: null, error } });
        return null;
      }
      store.update({ share: { open: true, busy: true, url: null, error: null } });
      try {
        const { url } = await api.createView(view);
        store.update({ share: { open: true, busy: false, url, error: null } });
        return url;
      } catch (err) {
        store.update({ share: { open: true, busy: false, url: null, error: errorText(err) } });
        return null;
      }
    },
    closeShare() {
      if (state().share.open) store.update({ share: { open: false, busy: false, url: null, error: null } });
    },
    /** The scene reports where the camera is ({position, target, zoom}). */
    cameraMoved(pose) {
      store.update({ camera: { ...state().camera, pose } });
    },
    /** Send `token` (the server's write token; '' = none) with every request from this tab; relist the datasets it opens. */
    async setToken(token) {
      api.setToken(token);
      try {
        const listed = await api.listDatasets();
        const { dataset, datasets } = state();
        const kept = datasets.filter((d) => d.id === dataset && !listed.some((l) => l.id === d.id));
        store.update({ datasets: [...listed, ...kept] });
      } catch (err) {
        showError(errorText(err));
      }
    },
    hasToken: () => !!api.getToken(),
    /** Switch tabs; a view opened from a link may lack the PCA of its points: compute it then. */
    setMethod(method) {
      actions.setMethod(method);
      const s = state();
      if (method === 'pca' && s.dataset && s.phase === 'ready' && !pcaResult(s)) actions.reproject();
      if (method === 'given' && s.dataset && s.phase === 'ready' && !ownResult(s)) actions.reproject();
    },
  };
}
