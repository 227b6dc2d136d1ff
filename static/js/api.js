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

async function request(url, options = {}) {
  let response;
  try {
    response = await fetch(url, options);
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

/** GET /api/datasets: [{id, name, n, dim}]. */
export function listDatasets() {
  return json('/api/datasets');
}

/** GET /api/datasets/{id}: the describe object with columns. */
export function getDataset(id) {
  return json(`/api/datasets/${enc(id)}`);
}

/** GET /api/datasets/{id}/metadata: {columns: [{name, type, values}]}. */
export function getMetadata(id) {
  return json(`/api/datasets/${enc(id)}/metadata`);
}

/** POST /api/datasets (multipart: vectors, metadata?, name?): the new dataset's describe object. */
export function uploadDataset(formData) {
  return json('/api/datasets', { method: 'POST', body: formData });
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

/** POST /api/datasets/{id}/projections {method, params, rows}: a job status object. */
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

/** GET /api/projections/{job}/coords: {data: Float32Array (row-major), n, d}. */
export async function getCoords(jobId) {
  const response = await request(`/api/projections/${enc(jobId)}/coords`);
  const buffer = await response.arrayBuffer();
  const data = new Float32Array(buffer);
  const header = response.headers.get('X-Shape');
  const [n, d] = header ? header.split(',').map(Number) : [data.length, 1];
  if (n * d !== data.length) throw new ApiError({ status: 0, error: `coords: X-Shape ${header} does not match ${data.length} floats` });
  return { data, n, d };
}
