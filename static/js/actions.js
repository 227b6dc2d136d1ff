// User intents: each one talks to the API and writes the store. Panels and the scene call these.
import * as api from './api.js';
import { ApiError } from './api.js';
import { canBeCategorical, colorRows } from './colors.js';
import { immediateMatches, regexMatches } from './search.js';
import { columnByName, columnSummary, defaultLabelColumn, infoAt } from './metadata.js';
import { createRuns, errorText } from './projection_runs.js';
import { chosenGiven, fetchGiven, givenLayouts } from './given_layouts.js';
import { pickView, resultKey, sphereized, viewKey } from './results.js';

const EMPTY_SEARCH = Object.freeze({ query: '', column: null, regex: false, matches: [], error: null });
const MAX_COMPONENTS = 10;
// From this many rows a PCA's coordinates come in two steps: LEADING_COLUMNS first, enough for 2D
// and 3D, the rest when an axis asks for one (a million rows: 11 MB before the first view, not 38 MB).
// jobs/first_view.py mirrors both, to preload the same address.
const LEADING_COLUMNS_ROWS = 200_000;
const LEADING_COLUMNS = 3;
const PREFERRED_DATASET = 'glove-10k';
// From this many rows a dataset's metadata is fetched after its first layout is drawn.
const LAZY_METADATA_ROWS = 200_000;
const METADATA_MESSAGE = 'Loading the metadata…';
// The longest a large dataset's metadata waits for its first layout to be on screen (a hidden tab never draws).
const SHOWN_WAIT_MS = 10_000;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Build the actions bound to `store`. */
export function createActions(store) {
  // Tokens let a newer request make an older one's late answer harmless.
  let viewToken = 0;
  let datasetToken = 0;
  let neighborsToken = 0;
  let neighborsAbort = null;

  const state = () => store.get();

  function busy(message) {
    store.update({ status: { busy: true, message, error: null } });
  }

  function idle(message = '') {
    store.update({ status: { busy: false, message, error: null } });
  }

  function fail(err) {
    if (err?.name === 'AbortError') return;
    console.warn(err);
    store.update({ status: { busy: false, message: '', error: errorText(err) } });
  }

  function markReadyIfDrawn() {
    const s = state();
    if (s.coords && s.metadata && s.drawn === s.coords && !s.status.busy) store.update({ phase: 'ready' });
  }

  /**
   * Run PCA on `rows` (null = all) of dataset `id` with `dim` dimensions; null when superseded.
   * `lead` starts the status text ("Loaded 20,000 points. "), which the plot shows too.
   */
  async function projectPca(id, rows, dim, token, lead = '') {
    const components = Math.max(1, Math.min(MAX_COMPONENTS, dim, rows ? rows.length : Infinity));
    const sphereize = sphereized(state());
    busy(`${lead}Computing PCA…`);
    store.update({ phase: 'computing' });
    let job = await api.createProjection(id, api.projectionBody('pca', { components }, rows, sphereize));
    let delay = 30;
    while (job.status === 'queued' || job.status === 'running') {
      await sleep(delay);
      if (token !== viewToken) return null;
      delay = Math.min(500, delay * 1.6);
      job = await api.getJob(job.id);
      const pct = Math.round((job.progress || 0) * 100);
      busy(pct > 0 && pct < 100 ? `${lead}Computing PCA… ${pct}%` : `${lead}Computing PCA…`);
    }
    if (job.status !== 'done') throw new ApiError({ status: 0, error: job.error || `PCA ${job.status}` });
    // Many rows: the leading components first (what 2D and 3D show); the rest once an axis needs one.
    const n = job.shape?.[0] ?? 0;
    const coords = await api.getCoords(job.id, n >= LEADING_COLUMNS_ROWS && components > LEADING_COLUMNS ? LEADING_COLUMNS : null);
    if (token !== viewToken) return null;
    const key = resultKey(id, 'pca', rows, sphereize);
    const view = viewKey(id, rows);
    return {
      key,
      coords: { ...coords, rows: rows ? Int32Array.from(rows) : null, job: job.id, key, view, method: 'pca', seq: 'final' },
      variance: job.extras?.explained_variance ?? [],
      final: true,
    };
  }

  /** The given layout `source` of `rows` of dataset `id` (answered at once, never computed); null when superseded. */
  async function projectGiven(id, rows, source, token, lead = '') {
    busy(`${lead}Loading the given layout…`);
    store.update({ phase: 'computing' });
    const result = await fetchGiven(id, rows, source);
    return token === viewToken ? result : null;
  }

  /** The layout the current tab wants for `rows`: its given layout on the Given tab, else the PCA. */
  function projectView(id, rows, dim, token, lead = '') {
    const s = state();
    const source = s.projection.method === 'given' && s.info?.id === id ? chosenGiven(s) : null;
    return source ? projectGiven(id, rows, source, token, lead) : projectPca(id, rows, dim, token, lead);
  }

  /**
   * The first layout of a freshly described dataset: its given one (always for coordinates only,
   * else when `preferGiven`: the address names no projection), else the PCA.
   */
  function openLayout(id, info, dim, token, lead, preferGiven) {
    if (token !== viewToken) return null;
    const s = state();
    const source = info.coords_only || preferGiven ? chosenGiven(s, info) : null;
    if (source) {
      store.update({ projection: { ...s.projection, method: 'given' }, params: { ...s.params, given: { source } } });
      return projectGiven(id, null, source, token, lead);
    }
    // No Given tab on this dataset: a Given tab left from the last one falls back to PCA.
    if (s.projection.method === 'given' && !givenLayouts(info).length) store.update({ projection: { ...s.projection, method: 'pca' } });
    return projectPca(id, null, dim, token, lead);
  }

  function clampAxes(axes, d) {
    return axes.map((a, i) => (a < d ? a : Math.min(i, d - 1)));
  }

  /** Put the current tab's result (else the PCA of the same points) on screen. */
  function show() {
    const s = state();
    const view = pickView(s);
    if (!view) return;
    const camera = s.camera.mode === view.mode ? s.camera : { ...s.camera, mode: view.mode };
    store.update({ coords: view.coords, variance: view.variance, camera });
    markReadyIfDrawn();
  }

  /** Keep a finished PCA and show what the current tab wants (the scene reports back through viewDrawn). */
  function applyProjection(result) {
    const { projection: now } = state();
    const projection = result.coords.method === 'pca' ? { ...now, axes: clampAxes(now.axes, result.coords.columns ?? result.coords.d) } : now;
    store.update({ results: { ...state().results, [result.key]: result }, projection });
    idle();
    show();
  }

  const runs = createRuns(store, show);

  function failView(token, err) {
    if (token !== viewToken) return;
    fail(err);
    store.update({ phase: 'error' });
  }

  /** Fetch and show a projection of the current dataset (rows null = all). */
  async function showProjection(rows) {
    const token = ++viewToken;
    const { dataset, datasets, info } = state();
    const dim = info?.dim ?? datasets.find((d) => d.id === dataset)?.dim ?? MAX_COMPONENTS;
    store.update({ isolated: rows, hover: null });
    show(); // a result kept for these rows shows at once
    const n = rows ? rows.length : info?.n;
    const lead = Number.isInteger(n) ? `${rows ? 'Isolating' : 'Showing all'} ${n.toLocaleString('en-US')} points. ` : '';
    try {
      const result = await projectView(dataset, rows, dim, token, lead);
      if (result) applyProjection(result);
    } catch (err) {
      failView(token, err);
    }
  }

  /** Fetch the metadata at `editVersion` (null: latest); a version the server lacks falls back to the latest, saying so. */
  async function metadataAt(id, editVersion) {
    if (editVersion === null || editVersion === undefined) return api.getMetadata(id);
    try {
      return await api.getMetadata(id, editVersion);
    } catch (err) {
      if (err?.status !== 400) throw err;
      console.warn(err);
      const latest = await api.getMetadata(id);
      store.update({ status: { ...state().status, error: `Edit ${editVersion} does not exist (${err.message}); showing the latest edits.` } });
      return latest;
    }
  }

  /**
   * Show dataset `id` and its PCA, or its given layout (coordinates only, or `preferGiven`); with
   * project: false only its description. False when superseded. `editVersion` picks the metadata's
   * edit version (null: the latest).
   */
  async function loadDataset(id, { project = true, preferGiven = true, editVersion = null, prefetched = null } = {}) {
    const token = ++viewToken;
    // The metadata belongs to this load even when a projection the user starts meanwhile (Isolate,
    // Sphereize: the points are on screen before a large dataset's metadata) supersedes the layout.
    const loadToken = ++datasetToken;
    const current = () => loadToken === datasetToken;
    neighborsToken++;
    neighborsAbort?.abort();
    const leftGivenSpace = !!state().info?.coords_only;
    store.update({
      dataset: id, info: null, metadata: null, coords: null, variance: [], coloring: null,
      colorBy: null, labelBy: null, selection: [], selectionSource: null, neighbors: [],
      neighborsLoading: false, search: EMPTY_SEARCH, isolated: null, hover: null, phase: 'loading', drawn: null,
      editVersion: null, editLatest: 0, derivedColumns: [],
    });
    runs.detach(id);
    show(); // results kept from an earlier visit show at once
    const listed = state().datasets.find((d) => d.id === id);
    busy(listed ? `Loading ${listed.name || id}…` : 'Loading dataset…');
    const described = prefetched?.described ?? api.getDataset(id);
    // The projection starts once the description says which one (a given layout or PCA). It is
    // shown as soon as it arrives; a large dataset's metadata is only asked for then, since reading
    // it would hold the points back (early null: not fetched early).
    const dim = listed?.dim ?? MAX_COMPONENTS;
    const lead = Number.isInteger(listed?.n) ? `Loaded ${listed.n.toLocaleString('en-US')} points. ` : '';
    let metadataFailed = false;
    const first = project ? described.then((info) => openLayout(id, info, dim, token, lead, preferGiven)) : null;
    const drawn = first ? first.then((result) => {
      if (metadataFailed || !current()) return undefined; // the error stays on screen
      if (token !== viewToken) return undefined; // a projection the user started since has the status line
      if (result) applyProjection(result);
      if (!state().metadata) busy(METADATA_MESSAGE);
      return result ? onScreen(state().coords) : undefined;
    }) : Promise.resolve();
    const early = prefetched?.metadata ?? earlyMetadata(id, described, listed?.n, editVersion);
    const metadataRead = early.then((m) => m ?? drawn.catch(() => {}).then(() => (current() ? metadataAt(id, editVersion) : null)));
    const describe = Promise.all([described, metadataRead]).then(([latest, metadata]) => {
      if (!current() || !metadata) return;
      const labelBy = defaultLabelColumn(metadata.columns);
      const info = infoAt(latest, metadata);
      // Coordinates only: the neighbours are found in the given plane or space, where distance is
      // euclidean (cosine would compare directions from an arbitrary origin); back to cosine after.
      const metric = info.coords_only ? 'euclidean' : leftGivenSpace ? 'cosine' : state().neighborParams.metric;
      const neighborParams = metric === state().neighborParams.metric ? state().neighborParams : { ...state().neighborParams, metric };
      store.update({
        info, metadata, labelBy, coloring: colorRows(info.n, null), neighborParams,
        editVersion: metadata.version, editLatest: Math.max(latest.version ?? 0, metadata.version),
      });
      // Not idle(): a warning metadataAt left (an edit version that does not exist) stays.
      const { status } = state();
      if (status.busy && status.message === METADATA_MESSAGE) store.update({ status: { ...status, busy: false, message: '' } });
      markReadyIfDrawn();
    });
    describe.catch(() => {
      metadataFailed = true;
    });
    const [layoutOutcome, metadataOutcome] = await Promise.allSettled([drawn, describe]);
    if (metadataOutcome.status === 'rejected') {
      if (current()) {
        fail(metadataOutcome.reason);
        store.update({ phase: 'error' });
      }
    } else if (layoutOutcome.status === 'rejected') {
      failView(token, layoutOutcome.reason);
    }
    return token === viewToken;
  }

  /**
   * Resolves once the scene reports `coords` drawn (the GPU finished: scatter_view whenFinished),
   * when other coordinates replace them, or after SHOWN_WAIT_MS (a hidden tab draws nothing).
   */
  function onScreen(coords) {
    return new Promise((resolve) => {
      if (!coords || state().drawn === coords) {
        resolve();
        return;
      }
      let timer = 0;
      const stop = store.subscribe(['drawn', 'coords'], (s) => {
        if (s.drawn !== coords && s.coords === coords) return;
        stop();
        clearTimeout(timer);
        resolve();
      });
      timer = setTimeout(() => {
        stop();
        resolve();
      }, SHOWN_WAIT_MS);
    });
  }

  /**
   * Dataset `id`'s metadata fetched at once, or (large datasets: `n`, else the description's n, from
   * LAZY_METADATA_ROWS rows) a promise of null: fetch it after the first layout.
   */
  function earlyMetadata(id, described, n, editVersion) {
    const eager = (rows) => !(rows >= LAZY_METADATA_ROWS);
    if (Number.isInteger(n)) return eager(n) ? metadataAt(id, editVersion) : Promise.resolve(null);
    return described.then((info) => (eager(info.n) ? metadataAt(id, editVersion) : null));
  }

  async function loadNeighbors() {
    neighborsAbort?.abort();
    const token = ++neighborsToken;
    const { selection, dataset, neighborParams } = state();
    if (selection.length !== 1) {
      store.update({ neighbors: [], neighborsLoading: false });
      return;
    }
    neighborsAbort = new AbortController();
    store.update({ neighbors: [], neighborsLoading: true });
    try {
      const { k, metric } = neighborParams;
      const answer = await api.getNeighbors(dataset, selection[0], k, metric, neighborsAbort.signal);
      if (token !== neighborsToken) return;
      store.update({ neighbors: answer.neighbors, neighborsLoading: false });
    } catch (err) {
      if (token !== neighborsToken) return;
      store.update({ neighborsLoading: false });
      fail(err);
    }
  }

  function select(rows, source) {
    store.update({ selection: rows, selectionSource: rows.length ? source : null });
    loadNeighbors();
  }

  /** The rows "Isolate" would show: the selected point and its neighbours, or all selected rows. */
  function colorBy(name) {
    const s = state();
    const column = columnByName(s, name);
    const info = s.info?.columns?.find((c) => c.name === name) ?? (column?.derived ? columnSummary(column) : undefined);
    const asCategories = s.categoricalNumeric && canBeCategorical(info);
    store.update({ colorBy: column ? name : null, coloring: colorRows(s.info?.n ?? 0, column, asCategories) });
  }

  // A PCA fetched with only its leading components (LEADING_COLUMNS): the rest come once an axis
  // drawn needs one (a component chosen, a link's axes), and the points glide to it.
  let columnsFor = null; // the coords whose other components are on their way
  const columnsFailed = new Set(); // jobs whose other components could not be fetched: not asked again
  function ensureColumns(s) {
    const c = s.coords;
    if (!c || c.method !== 'pca' || !c.job || !(c.columns > c.d) || columnsFor === c || columnsFailed.has(c.job)) return;
    if (s.projection.axes.slice(0, s.camera.mode === '2d' ? 2 : 3).every((a) => a < c.d)) return;
    columnsFor = c;
    api.getCoords(c.job).then((full) => {
      const now = state();
      const kept = now.results[c.key];
      const coords = { ...c, data: full.data, d: full.d, columns: full.columns };
      const patch = {};
      if (kept?.coords === c) patch.results = { ...now.results, [c.key]: { ...kept, coords } };
      if (now.coords === c) patch.coords = coords;
      store.update(patch);
    }, (err) => {
      columnsFailed.add(c.job);
      fail(err);
    }).finally(() => {
      if (columnsFor === c) columnsFor = null;
      ensureColumns(state()); // coords that came meanwhile may need theirs too
    });
  }
  store.subscribe(['coords', 'projection', 'camera'], ensureColumns);

  function isolationRows() {
    const { selection, neighbors } = state();
    if (selection.length === 1) return [selection[0], ...neighbors.map((n) => n.row)];
    return [...selection];
  }

  return {
    /** Load the dataset list and show the wanted one (URL), else glove-10k, else the first. */
    async init(wanted) {
      try {
        busy('Loading datasets…');
        const datasets = await api.listDatasets();
        store.update({ datasets });
        const pick = datasets.find((d) => d.id === wanted) || datasets.find((d) => d.id === PREFERRED_DATASET) || datasets[0];
        if (!pick) {
          idle('No datasets yet: use “Load” to add one.');
          store.update({ phase: 'ready' });
          return;
        }
        await loadDataset(pick.id);
        if (wanted && pick.id !== wanted) idle(`No dataset “${wanted}”; showing ${pick.id}.`);
      } catch (err) {
        fail(err);
      }
    },
    loadDataset,
    /**
     * Start fetching dataset `id`'s description and, unless it is large, its metadata (at
     * `editVersion`) for a loadDataset to come: {described, metadata} promises, which never reject
     * unhandled (metadata null: fetch it after the first layout).
     */
    prefetchDataset(id, editVersion = null) {
      const described = api.getDataset(id);
      const fetched = { described, metadata: earlyMetadata(id, described, null, editVersion) };
      fetched.described.catch(() => {});
      fetched.metadata.catch(() => {});
      return fetched;
    },
    /** Put the current tab's kept result (else the PCA of the same points) on screen. */
    show,
    /** Upload a dataset (FormData: vectors, metadata?, name?); on success it is listed and shown. Throws ApiError. */
    async uploadDataset(formData) {
      const info = await api.uploadDataset(formData);
      const datasets = await api.listDatasets();
      store.update({ datasets });
      loadDataset(info.id);
      return info;
    },
    /** Choose the component shown on axis 0 (x), 1 (y) or 2 (z); no refetch. */
    setAxis(axis, component) {
      const axes = [...state().projection.axes];
      axes[axis] = component;
      store.update({ projection: { ...state().projection, axes } });
    },
    /** The PCA view's '2d' or '3d'. */
    setMode(mode) {
      const s = state();
      const patch = { params: { ...s.params, pca: { ...s.params.pca, mode } } };
      if (s.coords?.method === 'pca') patch.camera = { ...s.camera, mode };
      store.update(patch);
    },
    /** Switch the Projections tab ('pca' | 'tsne' | 'umap' | 'custom') and show its latest result. */
    setMethod(method) {
      const s = state();
      if (s.projection.method === method) return;
      store.update({ projection: { ...s.projection, method } });
      show();
    },
    /** Show given layout `source` of the points in view on the Given tab (fetched once, then kept). */
    showGiven(source) {
      const s = state();
      store.update({ projection: { ...s.projection, method: 'given' }, params: { ...s.params, given: { source } } });
      if (pickView(state())?.coords.method === 'given') show();
      else showProjection(state().isolated);
    },
    /** Change form values of a method's tab (kept as typed until Run). */
    setParams(method, patch) {
      const { params } = state();
      store.update({ params: { ...params, [method]: { ...params[method], ...patch } } });
    },
    /** Run the current tab's method (t-SNE, UMAP or Custom) on the points in view. */
    runProjection(method) {
      return runs.run(method);
    },
    /** Follow a job that is still running as the run of its method, under result key `key`. */
    attachRun(key, meta, job) {
      runs.attach(key, meta, job);
    },
    /** Stop the running job of `method` for the points in view. */
    stopProjection(method) {
      return runs.stop(method);
    },
    setLabelBy(name) {
      store.update({ labelBy: name });
    },
    /** Colour points by a metadata column (null = uniform). */
    setColorBy(name) {
      colorBy(name);
    },
    /** Colour a numeric column with few distinct values by category (TensorBoard's checkbox). */
    setCategoricalNumeric(on) {
      store.update({ categoricalNumeric: !!on });
      colorBy(state().colorBy);
    },
    /** Day or night theme for the page and the plot. */
    setTheme(theme) {
      store.update({ theme: theme === 'night' ? 'night' : 'day' });
    },
    /**
     * Update the search (query, column, regex) and select its matches. A regex runs in a worker:
     * its matches come later (search.pending meanwhile), and select only if nothing else changed
     * the selection or the search in between, and no view is being restored (the view's own
     * selection wins). With keepSelection only the matches change (an edit of the searched column).
     */
    search(patch, { keepSelection = false } = {}) {
      const s = state();
      const next = { ...s.search, ...patch, notice: null, pending: false };
      const column = columnByName(s, next.column ?? s.labelBy);
      const values = column ? column.values : [];
      const apply = ({ rows, error, notice }, selectRows) => {
        store.update({ search: { ...next, matches: rows, error, notice } });
        if (!selectRows) return;
        if (next.query) select(rows, 'search');
        else if (state().selectionSource === 'search') select([], null);
      };
      const now = immediateMatches(values, next.query, next.regex);
      if (now) {
        apply(now, !keepSelection);
        return Promise.resolve();
      }
      const pending = { ...next, matches: [], error: null, pending: true };
      store.update({ search: pending });
      const { selection, restoring } = state();
      return regexMatches(values, next.query, { channel: 'inspector' }).then((found) => {
        if (!found || state().search !== pending) return;
        apply(found, !keepSelection && !restoring && state().selection === selection);
      });
    },
    /** Select one point (its neighbours load). */
    selectPoint(row) {
      select([row], 'point');
    },
    /**
     * Change the selection by a set of rows (a box, a lasso, a legend entry, a Shift/Ctrl click):
     * op 'replace' | 'add' | 'remove' | 'toggle'. One row left selected loads its neighbours.
     */
    selectRows(rows, op = 'replace', source = 'shape') {
      const current = state().selection;
      let next;
      // A box or lasso hands over ascending draw indices: no Set needed for 400k rows.
      if (op === 'replace') next = rows.every((r, i) => i === 0 || r > rows[i - 1]) ? rows : [...new Set(rows)];
      else if (op === 'add') next = [...new Set([...current, ...rows])];
      else {
        const drop = new Set(rows);
        next = current.filter((r) => !drop.has(r));
        if (op === 'toggle') {
          const had = new Set(current);
          next.push(...rows.filter((r) => !had.has(r)));
        }
      }
      select(next, next.length === 1 && op !== 'replace' ? 'point' : source);
    },
    /** Change neighbour count and/or metric; reloads the neighbours of the selected point. */
    setNeighborParams(patch) {
      store.update({ neighborParams: { ...state().neighborParams, ...patch } });
      loadNeighbors();
    },
    /** Deselect everything; the search box keeps its text (and its matches stay listed). */
    clearSelection() {
      select([], null);
    },
    isolationRows,
    /** Re-project and show only the selected point + neighbours (or the search matches). */
    isolate() {
      const rows = [...new Set(isolationRows())].sort((a, b) => a - b);
      if (rows.length) return showProjection(rows);
      return Promise.resolve();
    },
    /** Back to the full dataset. */
    showAll() {
      return showProjection(null);
    },
    /** Recompute the PCA of the points in view (e.g. after the data changed to sphereized). */
    reproject() {
      return showProjection(state().isolated);
    },
    hoverPoint(row) {
      if (state().hover !== row) store.update({ hover: row });
    },
    /** The scene reports that `coords` are on screen. */
    viewDrawn(coords) {
      store.update({ drawn: coords });
      markReadyIfDrawn();
    },
    dismissError() {
      store.update({ status: { ...state().status, error: null } });
    },
  };
}
