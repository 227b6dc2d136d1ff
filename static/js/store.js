// The page's only mutable state: a plain object replaced key by key, with per-key subscriptions.
import { defaultParams } from './projection_params.js';
import { FAITHFULNESS_IDLE } from './faithfulness_actions.js';

/**
 * Create a store around `initial`.
 * get() returns the current state (treat it as read-only); update(patch) shallow-merges and
 * notifies subscribers of the keys whose values changed (by identity); subscribe(keys, fn) calls
 * fn(state, changedKeys) and returns an unsubscribe function.
 */
export function createStore(initial) {
  let state = Object.freeze({ ...initial });
  const subscribers = new Set();

  function get() {
    return state;
  }

  function update(patch) {
    const changed = [];
    for (const [key, value] of Object.entries(patch)) {
      if (!(key in state)) throw new Error(`unknown store key: ${key}`);
      if (state[key] !== value) changed.push(key);
    }
    if (changed.length === 0) return;
    state = Object.freeze({ ...state, ...patch });
    const snapshot = state;
    for (const sub of [...subscribers]) {
      if (!subscribers.has(sub)) continue;
      const hits = changed.filter((k) => sub.keys.has(k));
      if (hits.length) sub.fn(snapshot, hits);
    }
  }

  function subscribe(keys, fn) {
    const sub = { keys: new Set(keys), fn };
    subscribers.add(sub);
    return () => subscribers.delete(sub);
  }

  return { get, update, subscribe };
}

/** The state the page starts from; view-state field names match the server and the URL. */
export function initialState() {
  return {
    // view state: the address bar, shared views and bookmarks carry it (view_state.js)
    dataset: null,
    // method = the Projections tab; axes = PCA components; sphereize = centre + unit-norm the data first
    projection: { method: 'pca', axes: [0, 1, 2], sphereize: false },
    camera: { mode: '3d', pose: null }, // pose: {position, target, zoom} as the scene reports it
    colorBy: null,
    labelBy: null,
    selection: [],
    isolated: null,
    // data
    datasets: [],
    info: null,
    metadata: null,
    coords: null, // on screen: {data: Float32Array, n, d, rows: Int32Array|null, job, key, view, method, seq}
    variance: [],
    coloring: null, // {colors: Float32Array|null, legend}
    // columns an analysis made (faithfulness, cluster, hubness, overlap...), offered beside the
    // metadata's in Colour by: [{name, type: 'numeric'|'text', values (one per dataset row, null
    // where the analysis has none), source}]; cleared when another dataset loads (derived_columns.js)
    derivedColumns: [],
    // compare (compare_actions.js): {dataset, key, k, for (this dataset), otherName, busy, progress,
    // message, error, job, summary (the job's extras), mostChanged, otherRows (Int32Array: each row's
    // match there or -1), layout (the other's PCA {data, n, d, job})}, or null; view state
    compare: null,
    compareCoords: null, // the second map's coords (as `coords`, rows = the matched rows drawn), or null
    // the faithfulness check of the layout on screen (faithfulness_actions.js): {state, layout, job, k,
    // progress, extras, least: [{row, recall}], error}; and the selected point's rings
    // {row, k, falseRows, missedRows} (dataset rows) or null
    faithfulness: FAITHFULNESS_IDLE,
    faithfulMarks: null,
    // clusters (cluster_actions.js): null, or {job, status: 'running'|'done'|'failed', progress, error,
    // list (the job's extras.clusters: {id, size, label, centre}), codes (Int32Array per dataset row:
    // cluster id, -1 noise, -2 not clustered), noise}; the map draws each cluster's label at its centre
    clusters: null,
    showDensity: false, // density contours of the 2D layout under the points (scene/contours_layer.js)
    // projections: the forms, the kept results and the runs, keyed by results.js resultKey()
    params: defaultParams(),
    results: {}, // key -> {coords, variance?, final}
    runs: {}, // key -> {meta, job: JobStatus|null, starting, error, receivedAt}
    // inspector
    selectionSource: null, // 'point' | 'search'
    neighbors: [],
    neighborsLoading: false,
    neighborParams: { k: 100, metric: 'cosine' },
    // vector query (vector_query_actions.js): {text, kind: 'expression'|'vector'|'rows', pending, answer, error};
    // its answer becomes the selection with selectionSource 'query' (a duplicate pair: 'duplicates')
    vectorQuery: { text: '', kind: null, pending: false, answer: null, error: null },
    // diagnostics job (diagnostics_actions.js): {status, progress, job, extras, error}; the list's sort key
    diagnostics: { status: null, progress: 0, job: null, extras: null, error: null },
    diagnosticsSort: 'hubness',
    search: { query: '', column: null, regex: false, matches: [], error: null },
    hover: null,
    // metadata edits (edit_actions.js): the version whose metadata is loaded, the latest the
    // server had when we last asked, and the Tag / Edit / Undo controls' state
    editVersion: null,
    editLatest: 0,
    editing: { busy: false, message: '', error: null },
    // display and downloads
    showSprites: true, // draw thumbnails instead of points when the dataset has a sprite sheet
    showSequences: true, // draw the lines of a __seq_next__ column (shown only when the dataset has one)
    // the map's toolbar (display preferences, not view state)
    tool: 'orbit', // orbit | box | lasso: what a drag on the plot does
    pointSize: 1, // multiplier of the automatic dot size
    cameraRequest: null, // {kind: 'reset' | 'fit', seq}: a toolbar's ask that the scene carries out (seq makes a repeat new)
    labelMode: 'neighbors', // off | neighbors (selection and neighbours) | all (every visible point that fits)
    labels3d: false, // 3D only: labels scale with depth
    labelSize: 12, // CSS px
    theme: 'day', // day | night (remembered per browser)
    categoricalNumeric: false, // colour a numeric column with few distinct values by category
    serverInfo: null, // /api/status: {version, write_token: bool, uploads: {max_upload_bytes, chunk_bytes} | null}
    firstHint: true, // the one-line hint on an empty first view, until the first interaction
    download: { what: null, busy: false, error: null }, // what: 'coords' | 'selection' | 'metadata'
    // sharing: the Share popover, bookmarks, and a view being restored (url_sync.js waits for it)
    share: { open: false, busy: false, url: null, error: null },
    bookmarks: { collection: null, items: [], loading: false, saving: false, error: null },
    restoring: null, // {token, history: 'push' | 'replace'} while a ViewState is being restored
    // lifecycle
    status: { busy: false, message: '', error: null },
    phase: 'loading', // loading | computing | ready | error
    drawn: null, // the coords object last drawn by the scene
  };
}
