// The shareable ViewState: built from the store, compared field by field, and written to / read
// from the address bar. Field names are the server's (schemas.ViewState) and the store's:
// dataset, projection, colorBy, labelBy, selection, isolated, search, neighbors, metric,
// dimensions, camera, editVersion, compare, clusters.
//
// URL form (all optional but dataset; defaults are left out to keep links short):
//   /?dataset=<id>&projection=<pca|tsne|umap|custom|given>&job=<result id>&components=0,1,2&sphereize=1
//    &colorBy=<column>&labelBy=<column>&selection=7,12&isolated=1,2,3
//    &search=<query>&searchColumn=<column>&regex=1&neighbors=100&metric=cosine&dimensions=3
//    &editVersion=N                          (the metadata edit version shown; left out when never edited)
//    &compare=<other dataset>&compareKey=<column>&compareK=10   (a comparison shown beside the map)
//    &clusters=<clusters job id>             (the clusters shown: cluster_actions.js)
//    &camera=px,py,pz,tx,ty,tz,zoom          (rounded to 4 decimals)
//   /?view=<id>[&camera=...]                 (a stored view; see url_sync.js for when)
//   ...&bookmarks=<collection>               (the Bookmarks panel's list; not part of the view)

import { CLUSTER_COLUMN } from './cluster_actions.js';

export const DEFAULT_NEIGHBORS = 100;
export const DEFAULT_METRIC = 'cosine';
const METHODS = new Set(['pca', 'tsne', 'umap', 'custom', 'given']);

/** The view-state fields, in URL order; `camera` changes replace the history entry, the rest push. */
export const FIELDS = Object.freeze([
  'dataset', 'projection', 'colorBy', 'labelBy', 'selection', 'isolated',
  'search', 'neighbors', 'metric', 'dimensions', 'camera', 'editVersion', 'compare', 'clusters',
]);

const round4 = (x) => Math.round(x * 1e4) / 1e4;

/** A camera pose rounded as the URL keeps it: {position, target, zoom}, or null. */
export function roundCamera(pose) {
  if (!pose) return null;
  return { position: pose.position.map(round4), target: pose.target.map(round4), zoom: round4(pose.zoom) };
}

/** The finished projection on screen as the ViewState's `projection`, or null (none, or a run's snapshot). */
export function finishedProjection(s) {
  const c = s.coords;
  if (!c || !c.job || c.seq !== 'final') return null;
  const run = s.runs?.[c.key];
  return {
    method: c.method,
    params: c.method === 'pca' ? { components: c.columns ?? c.d } : c.method === 'given' ? { source: c.source } : { ...(run?.job?.params ?? {}) },
    job: c.job,
    components: c.method === 'pca' ? [...s.projection.axes] : null,
    sphereize: !!s.projection.sphereize,
  };
}

const OVERLAP_COLUMN = 'overlap'; // compare_actions.js OVERLAP_COLUMN (not imported: it pulls in the job modules)

/**
 * `name` when a view can carry it: an analysis's derived column is no dataset column (the server
 * refuses it), except the clusters' column, which the view's `clusters` brings back, and the
 * comparison's `overlap`, which the view's `compare` brings back.
 */
function datasetColumn(s, name) {
  if (!name) return null;
  const derived = s.derivedColumns?.some((c) => c.name === name) && !s.metadata?.columns.some((c) => c.name === name);
  const restored = (name === CLUSTER_COLUMN && s.clusters?.status === 'done' && !!s.clusters.job)
    || (name === OVERLAP_COLUMN && !!s.compare);
  return derived && !restored ? null : name;
}

/**
 * The shareable state of store state `s`, or null when there is no dataset. `projection` is the
 * finished result on screen; while a run's snapshots are shown, the projection, dimensions and
 * camera stay those of `previous` (the last ViewState written, when of the same dataset).
 */
export function viewStateOf(s, previous = null) {
  if (!s.dataset) return null;
  const c = s.coords;
  const finished = finishedProjection(s);
  const stale = !finished && previous?.dataset === s.dataset ? previous : null;
  const search = s.search.query ? { query: s.search.query, column: s.search.column ?? null, regex: !!s.search.regex } : null;
  return {
    dataset: s.dataset,
    projection: finished ?? stale?.projection ?? null,
    colorBy: datasetColumn(s, s.colorBy),
    labelBy: datasetColumn(s, s.labelBy),
    selection: [...s.selection],
    // The rows of the coordinates on screen: row i of the result belongs to isolated[i].
    isolated: c ? (c.rows ? Array.from(c.rows) : null) : s.isolated ? [...s.isolated] : null,
    search,
    neighbors: s.neighborParams.k,
    metric: s.neighborParams.metric,
    dimensions: stale ? stale.dimensions : s.camera.mode === '2d' ? 2 : 3,
    camera: stale ? stale.camera : roundCamera(s.camera.pose ?? null),
    // A view pins the metadata version it shows; a never-edited dataset has nothing to pin.
    editVersion: s.editVersion === null || (s.editVersion === 0 && !s.editLatest) ? null : s.editVersion,
    compare: s.compare ? { dataset: s.compare.dataset, key: s.compare.key ?? null, k: s.compare.k } : null,
    clusters: s.clusters?.status === 'done' && s.clusters.job ? { job: s.clusters.job } : null,
  };
}

const sameList = (a, b) => a === b || (!!a && !!b && a.length === b.length && a.every((x, i) => x === b[i]));

function fieldKey(v, field) {
  const value = v[field];
  if (field === 'projection' && value) {
    // The parameters come with the result; the result id says it all.
    return JSON.stringify([value.method, value.job, value.components, !!value.sphereize]);
  }
  if (field === 'camera') return JSON.stringify(roundCamera(value));
  return JSON.stringify(value ?? null);
}

/** The FIELDS whose values differ between two ViewStates (all of them when `a` is null). */
export function changedFields(a, b) {
  if (!a || !b) return [...FIELDS];
  return FIELDS.filter((f) => {
    // Row lists can be long: compare them without building strings.
    if (f === 'selection' || f === 'isolated') return !sameList(a[f], b[f]);
    return fieldKey(a, f) !== fieldKey(b, f);
  });
}

// Commas are legal in a query and keep row lists readable ("selection=7,12", not "7%2C12").
const enc = (value) => encodeURIComponent(String(value)).replace(/%2C/gi, ',');

function pairs(v) {
  const out = [['dataset', v.dataset]];
  const p = v.projection;
  if (p) {
    out.push(['projection', p.method]);
    if (p.job) out.push(['job', p.job]);
    if (p.components?.length) out.push(['components', p.components.join(',')]);
    if (p.sphereize) out.push(['sphereize', '1']);
  }
  if (v.colorBy) out.push(['colorBy', v.colorBy]);
  if (v.labelBy) out.push(['labelBy', v.labelBy]);
  if (v.selection.length) out.push(['selection', v.selection.join(',')]);
  if (v.isolated) out.push(['isolated', v.isolated.join(',')]);
  if (v.search) {
    out.push(['search', v.search.query]);
    if (v.search.column) out.push(['searchColumn', v.search.column]);
    if (v.search.regex) out.push(['regex', '1']);
  }
  if (v.neighbors !== DEFAULT_NEIGHBORS) out.push(['neighbors', v.neighbors]);
  if (v.metric !== DEFAULT_METRIC) out.push(['metric', v.metric]);
  out.push(['dimensions', v.dimensions]);
  if (v.editVersion !== null && v.editVersion !== undefined) out.push(['editVersion', v.editVersion]);
  if (v.compare) {
    out.push(['compare', v.compare.dataset]);
    if (v.compare.key) out.push(['compareKey', v.compare.key]);
    out.push(['compareK', v.compare.k]);
  }
  if (v.clusters?.job) out.push(['clusters', v.clusters.job]);
  return out;
}

function cameraText(pose) {
  const r = roundCamera(pose);
  return [...r.position, ...r.target, r.zoom].join(',');
}

/** The query string ("?dataset=...") of ViewState `v` (or of a stored view id), plus the bookmark list. */
export function toQuery(v, { viewId = null, bookmarks = null } = {}) {
  const list = viewId ? [['view', viewId]] : pairs(v);
  if (v?.camera) list.push(['camera', cameraText(v.camera)]);
  if (bookmarks) list.push(['bookmarks', bookmarks]);
  return `?${list.map(([k, value]) => `${k}=${enc(value)}`).join('&')}`;
}

function rowList(text) {
  if (text === null) return null;
  if (text.trim() === '') return [];
  const rows = text.split(',').map((t) => Number(t.trim()));
  return rows.every((r) => Number.isInteger(r) && r >= 0) ? rows : null;
}

/** A camera from "px,py,pz,tx,ty,tz,zoom", or null when it is not 7 finite numbers (zoom > 0). */
export function parseCamera(text) {
  if (!text) return null;
  const n = text.split(',').map(Number);
  if (n.length !== 7 || !n.every(Number.isFinite) || n[6] <= 0) return null;
  return { position: n.slice(0, 3), target: n.slice(3, 6), zoom: n[6] };
}

/**
 * Read a query string: {viewId, bookmarks, camera, state}. `state` is a ViewState (null when the
 * URL names no dataset); `camera` is set on its own too, as it overrides a stored view's.
 */
export function readQuery(search) {
  const q = new URLSearchParams(search);
  const camera = parseCamera(q.get('camera'));
  const out = { viewId: q.get('view') || null, bookmarks: q.get('bookmarks') || null, camera, state: null };
  const dataset = q.get('dataset');
  if (!dataset) return out;
  const method = q.get('projection');
  const job = q.get('job');
  const neighbors = Number(q.get('neighbors'));
  const editText = q.get('editVersion');
  const editVersion = editText !== null && /^[0-9]{1,9}$/.test(editText) ? Number(editText) : null;
  out.state = {
    dataset,
    projection: METHODS.has(method)
      ? {
        method,
        params: {},
        job: job && /^[0-9a-f]{32}$/.test(job) ? job : null,
        components: rowList(q.get('components'))?.slice(0, 3) ?? null,
        sphereize: q.get('sphereize') === '1',
      }
      : null,
    colorBy: q.get('colorBy') || null,
    labelBy: q.get('labelBy') || null,
    selection: rowList(q.get('selection')) ?? [],
    isolated: rowList(q.get('isolated'))?.length ? rowList(q.get('isolated')) : null,
    search: q.get('search') ? { query: q.get('search'), column: q.get('searchColumn') || null, regex: q.get('regex') === '1' } : null,
    neighbors: Number.isInteger(neighbors) && neighbors >= 1 ? neighbors : DEFAULT_NEIGHBORS,
    // Left out: the dataset's own default (cosine; euclidean in a coordinates-only dataset's given space).
    metric: ['cosine', 'euclidean'].includes(q.get('metric')) ? q.get('metric') : null,
    dimensions: q.get('dimensions') === '2' ? 2 : 3,
    camera,
    editVersion,
    compare: q.get('compare') ? compareOf(q) : null,
    clusters: /^[0-9a-f]{32}$/.test(q.get('clusters') ?? '') ? { job: q.get('clusters') } : null,
  };
  return out;
}

function compareOf(q) {
  const k = Number(q.get('compareK'));
  return { dataset: q.get('compare'), key: q.get('compareKey') || null, k: Number.isInteger(k) && k >= 1 && k <= 100 ? k : 10 };
}

/** ViewState `v` with its missing fields at their defaults (as the server fills them). */
export function withDefaults(v) {
  return {
    projection: null,
    colorBy: null,
    labelBy: null,
    selection: [],
    isolated: null,
    search: null,
    neighbors: DEFAULT_NEIGHBORS,
    metric: DEFAULT_METRIC,
    dimensions: 3,
    camera: null,
    editVersion: null,
    compare: null,
    clusters: null,
    ...Object.fromEntries(Object.entries(v).filter(([, value]) => value !== undefined)),
  };
}
