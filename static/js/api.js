// The only module that calls fetch: one async function per endpoint.

/** An HTTP error carrying the server's JSON error shape {ok, status, error, file, line, column}. */
export class ApiError extends Error {
  constructor({ status, error, file = null, line = null, column = null }) {
    super(error || `HTTP ${status}`);
    this.name = 'ApiError';
    this.status = status;
    this.error = this.message;
    this.file = file;
    this.line = line;
    this.column = column;
  }

  /** The position the server named, e.g. "vectors.tsv, line 3, column 2", or "". */
  get where() {
    const parts = [];
    if (this.file) parts.push(this.file);
    if (this.line !== null && this.line !== undefined) parts.push(`line ${this.line}`);
    if (this.column !== null && this.column !== undefined) parts.push(`column ${this.column}`);
    return parts.join(', ');
  }

  /** The position, unless the message already names the file and line (the server's usually do). */
  get extraWhere() {
    const named = (!this.file || this.message.includes(this.file)) &&
      (this.line === null || this.line === undefined || this.message.includes(`line ${this.line}`));
    return named ? '' : this.where;
  }
}

async function failure(response) {
  let body = null;
  try {
    body = await response.json();
  } catch {
    // not JSON (a proxy page, an empty body): fall back to the status line
  }
  if (body && typeof body === 'object' && typeof body.error === 'string') {
    return new ApiError({ ...body, status: body.status ?? response.status });
  }
  return new ApiError({ status: response.status, error: `HTTP ${response.status} ${response.statusText}`.trim() });
}

const TOKEN_KEY = 'projector-write-token';

/** The server's write token for this tab ('' = none); kept in sessionStorage, never in the URL. */
export function getToken() {
  try {
    return sessionStorage.getItem(TOKEN_KEY) || '';
  } catch {
    return '';
  }
}

/** Remember (or, with '', forget) the write token sent as `Authorization: Bearer` on every request. */
export function setToken(token) {
  try {
    if (token) sessionStorage.setItem(TOKEN_KEY, token);
    else sessionStorage.removeItem(TOKEN_KEY);
  } catch {
    // storage disabled: nothing to remember it in
  }
}

function withToken(options) {
  const token = getToken();
  if (!token) return options;
  const headers = new Headers(options.headers);
  headers.set('Authorization', `Bearer ${token}`);
  return { ...options, headers };
}

async function request(url, options = {}) {
  let response;
  try {
    response = await fetch(url, withToken(options));
  } catch (err) {
    if (err.name === 'AbortError') throw err;
    throw new ApiError({ status: 0, error: `Cannot reach the server (${err.message})` });
  }
  if (!response.ok) throw await failure(response);
  return response;
}

async function json(url, options) {
  return (await request(url, options)).json();
}

const enc = encodeURIComponent;

/** Job states after which nothing changes any more. */
export const TERMINAL = new Set(['done', 'failed', 'cancelled']);

/** GET /api/status: {version, write_token: bool, methods, workers, uploads: {max_upload_bytes, chunk_bytes}}. */
export function getStatus() {
  return json('/api/status');
}

/** GET /api/datasets: [{id, name, n, dim}]. */
export function listDatasets() {
  return json('/api/datasets');
}

/** GET /api/datasets/{id}: the describe object with columns. */
export function getDataset(id) {
  return json(`/api/datasets/${enc(id)}`);
}

/**
 * GET /api/datasets/{id}/metadata[?version=N]: {columns: [{name, type, values}], version}, where
 * version is the edit version served (X-Edit-Version); null asks for the latest.
 */
export async function getMetadata(id, version = null) {
  const q = version === null || version === undefined ? '' : `?version=${enc(version)}`;
  const response = await request(`/api/datasets/${enc(id)}/metadata${q}`);
  const metadata = await response.json();
  return { ...metadata, version: Number(response.headers.get('X-Edit-Version') ?? 0) };
}

/**
 * POST /api/datasets/{id}/edits {column, rows, value, cell}: {version, column: ColumnInfo, value,
 * rows, new_column}. `cell` is a single-cell edit (one row, an existing column).
 */
export function editMetadata(id, body) {
  return postJson(`/api/datasets/${enc(id)}/edits`, body);
}

/** POST /api/datasets/{id}/edits/undo: {version, undoes, column, rows, values, column_info}; 409 when nothing is left. */
export function undoEdit(id) {
  return json(`/api/datasets/${enc(id)}/edits/undo`, { method: 'POST' });
}

/** GET /api/datasets/{id}/metadata.tsv[?version=N]: TensorBoard's metadata.tsv with the edits, as {blob, filename}. */
export async function downloadMetadataTsv(id, version = null) {
  const q = version === null || version === undefined ? '' : `?version=${enc(version)}`;
  const response = await request(`/api/datasets/${enc(id)}/metadata.tsv${q}`);
  return { blob: await response.blob(), filename: attachmentName(response, 'metadata.tsv') };
}

/**
 * POST /api/datasets (multipart: vectors | vectors_upload, metadata? | metadata_upload?, name?, sprite? |
 * sprite_upload?, sprite_dim?): the new dataset's describe object.
 */
export function uploadDataset(formData) {
  return json('/api/datasets', { method: 'POST', body: formData });
}

/**
 * POST /api/uploads {filename, size, key}: a resumable upload's status {id, filename, size, received, chunk_bytes}.
 * The same `key` sent again (the first answer was lost) answers the same upload.
 */
export function startUpload(filename, size, key, signal) {
  return json('/api/uploads', {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ filename, size, key }), signal,
  });
}

/**
 * PUT /api/uploads/{id}?offset=N (the chunk as the raw body; `sha256` hex or null): the status with the
 * new `received`. 409 when `offset` is not where the upload stands, 400 when the digest does not match.
 */
export function putUploadChunk(id, offset, bytes, sha256, signal) {
  const headers = { 'Content-Type': 'application/octet-stream' };
  if (sha256) headers['X-Chunk-Sha256'] = sha256;
  return json(`/api/uploads/${enc(id)}?offset=${enc(offset)}`, { method: 'PUT', headers, body: bytes, signal });
}

/** GET /api/uploads/{id}: the upload's status; resume from its `received`. */
export function getUpload(id, signal) {
  return json(`/api/uploads/${enc(id)}`, { signal });
}

/** DELETE /api/uploads/{id}: abandon the upload. */
export async function deleteUpload(id) {
  await request(`/api/uploads/${enc(id)}`, { method: 'DELETE' });
}

/** DELETE /api/datasets/{id}. */
export async function deleteDataset(id) {
  await request(`/api/datasets/${enc(id)}`, { method: 'DELETE' });
}

/** GET /api/datasets/{id}/neighbors: {row, metric, neighbors: [{row, distance}]}, nearest first. */
export function getNeighbors(id, row, k, metric, signal) {
  const q = new URLSearchParams({ row: String(row), k: String(k), metric });
  return json(`/api/datasets/${enc(id)}/neighbors?${q}`, { signal });
}

/** POST /api/datasets/{id}/neighbors {vector | expression | rows, k, metric}: the k nearest rows and the resolved terms. */
export function queryNeighbors(id, body, signal) {
  return json(`/api/datasets/${enc(id)}/neighbors`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body), signal,
  });
}

/**
 * The body of a projection request: {method, params, rows}, plus "sphereize": true when the data
 * is to be sphereized (omitted otherwise: the server's default, and the same cache key as before).
 */
export function projectionBody(method, params, rows, sphereize = false) {
  return sphereize ? { method, params, rows, sphereize: true } : { method, params, rows };
}

/** POST /api/datasets/{id}/projections (see projectionBody): a job status object. */
export function createProjection(id, body) {
  return json(`/api/datasets/${enc(id)}/projections`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
}

/** GET /api/projections/{job}: the job's status. */
export function getJob(jobId) {
  return json(`/api/projections/${enc(jobId)}`);
}

/**
 * GET /api/projections/{job}/coords: {data: Float32Array (row-major), n, d, columns}; with `columns`,
 * only that many leading columns (d), of the result's `columns`.
 */
export async function getCoords(jobId, columns = null) {
  const query = columns ? `?columns=${columns}` : '';
  const response = await request(`/api/projections/${enc(jobId)}/coords${query}`);
  const coords = await floats(response, 'coords');
  return { ...coords, columns: Number(response.headers.get('X-Columns')) || coords.d };
}

async function floats(response, what) {
  const buffer = await response.arrayBuffer();
  const data = new Float32Array(buffer);
  const header = response.headers.get('X-Shape');
  const [n, d] = header ? header.split(',').map(Number) : [data.length, 1];
  if (n * d !== data.length) throw new ApiError({ status: 0, error: `${what}: X-Shape ${header} does not match ${data.length} floats` });
  return { data, n, d };
}

/** GET /api/projections/{job}/{name}: an analysis's named array as {data: Int32Array|Float32Array, n, d} (X-Shape, X-Dtype). */
export async function getResultArray(jobId, name) {
  const response = await request(`/api/projections/${enc(jobId)}/${enc(name)}`);
  const buffer = await response.arrayBuffer();
  const data = response.headers.get('X-Dtype') === 'int32' ? new Int32Array(buffer) : new Float32Array(buffer);
  const header = response.headers.get('X-Shape');
  const [n, d = 1] = header ? header.split(',').map(Number) : [data.length, 1];
  if (n * d !== data.length) throw new ApiError({ status: 0, error: `${name}: X-Shape ${header} does not match ${data.length} values` });
  return { data, n, d };
}

/** GET /api/projections/{job}/snapshot: {data, n, d, seq}, the latest intermediate coordinates. */
export async function getSnapshot(jobId, signal) {
  const response = await request(`/api/projections/${enc(jobId)}/snapshot`, { signal });
  const { data, n, d } = await floats(response, 'snapshot');
  return { data, n, d, seq: Number(response.headers.get('X-Snapshot')) || 0 };
}

/**
 * DELETE /api/projections/{job}: cancels the job; answers its status. `cancelKey` is the
 * cancel_key its start answered (without the write token, the server wants it); a job other
 * clients also started answers that it still runs.
 */
export function cancelJob(jobId, cancelKey = null) {
  const headers = cancelKey ? { 'X-Cancel-Key': cancelKey } : {};
  return json(`/api/projections/${enc(jobId)}`, { method: 'DELETE', headers });
}

/**
 * Follow a job's Server-Sent Events (GET /api/projections/{job}/events): onStatus(JobStatus) per
 * message; onLost() when the stream fails for good. Returns a close() function. The stream is
 * closed here on a terminal status, or EventSource would reconnect and replay it.
 */
export function watchJob(jobId, { onStatus, onLost }) {
  const source = new EventSource(`/api/projections/${enc(jobId)}/events`);
  let closed = false;
  const close = () => {
    closed = true;
    source.close();
  };
  source.onmessage = (event) => {
    if (closed) return;
    let status;
    try {
      status = JSON.parse(event.data);
    } catch {
      return;
    }
    if (TERMINAL.has(status.status)) close();
    onStatus(status);
  };
  source.onerror = () => {
    // A dropped connection reconnects by itself (readyState CONNECTING); CLOSED means it gave up.
    if (!closed && source.readyState === EventSource.CLOSED) {
      close();
      onLost();
    }
  };
  return close;
}

/** The file name a download response asks for (Content-Disposition), else `fallback`. */
function attachmentName(response, fallback) {
  const header = response.headers.get('Content-Disposition') || '';
  const match = /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(header);
  if (!match) return fallback;
  try {
    return decodeURIComponent(match[1]);
  } catch {
    return match[1];
  }
}

/** GET /api/projections/{job}/export?format=tsv|csv|npy[&version=N][&clusters=job]: {blob, filename}; 409 while unfinished. */
export async function exportProjection(jobId, format, version = null, clusters = null) {
  const q = new URLSearchParams({ format });
  if (version !== null && version !== undefined) q.set('version', String(version));
  if (clusters) q.set('clusters', clusters); // adds the clusters job's "cluster" column
  const response = await request(`/api/projections/${enc(jobId)}/export?${q}`);
  return { blob: await response.blob(), filename: attachmentName(response, `projection.${format}`) };
}

/** POST /api/datasets/{id}/export[?version=N] {rows, format}: the metadata of those rows as {blob, filename}. */
export async function exportSelection(id, rows, format = 'tsv', version = null) {
  const q = version === null || version === undefined ? '' : `?version=${enc(version)}`;
  const response = await request(`/api/datasets/${enc(id)}/export${q}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ rows, format }),
  });
  return { blob: await response.blob(), filename: attachmentName(response, `selection.${format}`) };
}

function postJson(url, body) {
  return json(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
}

/** POST /api/views {ViewState}: {id, url}, the view's shareable link. */
export function createView(view) {
  return postJson('/api/views', view);
}

/** PUT /api/live/{id} {ViewState}: the page's current view for Python to read (204; 404 once the id is gone). */
export async function putLiveState(id, view) {
  await request(`/api/live/${enc(id)}`, {
    method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(view),
  });
}

/** GET /api/views/{id}: the stored ViewState. */
export function getView(id) {
  return json(`/api/views/${enc(id)}`);
}

const EDIT_KEY_HEADER = 'X-Edit-Key';

function withEditKey(editKey, headers = {}) {
  return editKey ? { ...headers, [EDIT_KEY_HEADER]: editKey } : headers;
}

/**
 * POST /api/bookmarks {collection|null, name, state}: the saved bookmark. A new collection (null)
 * answers its edit_key, once; adding to an existing one sends that key (or the write token).
 */
export function addBookmark(body, editKey = null) {
  return json('/api/bookmarks', {
    method: 'POST',
    headers: withEditKey(editKey, { 'Content-Type': 'application/json' }),
    body: JSON.stringify(body),
  });
}

/**
 * GET /api/bookmarks/{collection}: {items, canEdit}; items oldest first, canEdit the server's word
 * (X-Can-Edit) on whether this edit key or the write token may add and delete.
 */
export async function listBookmarks(collection, editKey = null) {
  const response = await request(`/api/bookmarks/${enc(collection)}`, { headers: withEditKey(editKey) });
  return { items: await response.json(), canEdit: response.headers.get('X-Can-Edit') === 'true' };
}

/** DELETE /api/bookmarks/{collection}/{id} (needs the collection's edit key or the write token). */
export async function deleteBookmark(collection, id, editKey = null) {
  await request(`/api/bookmarks/${enc(collection)}/${enc(id)}`, { method: 'DELETE', headers: withEditKey(editKey) });
}

/**
 * POST /api/datasets/{id}/bookmarks/tensorboard (a TensorBoard bookmarks file as the raw body):
 * {collection, edit_key, items}: a new collection, its edit key (this answer only) and its bookmarks.
 */
export function importTensorBoardBookmarks(dataset, file) {
  return json(`/api/datasets/${enc(dataset)}/bookmarks/tensorboard?filename=${enc(file.name || 'bookmarks.json')}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: file,
  });
}

/** GET /api/bookmarks/{collection}/tensorboard?dataset=: {blob, filename}, a TensorBoard bookmarks file. */
export async function exportTensorBoardBookmarks(collection, dataset) {
  const response = await request(`/api/bookmarks/${enc(collection)}/tensorboard?dataset=${enc(dataset)}`);
  const disposition = response.headers.get('Content-Disposition') || '';
  const filename = /filename="([^"]+)"/.exec(disposition)?.[1] || 'bookmarks.json';
  return { blob: await response.blob(), filename };
}
