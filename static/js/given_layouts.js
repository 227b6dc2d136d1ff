// Given layouts: coordinates that came with the data (x, y, z columns, --coords, TensorBoard
// bookmarks). The server answers them as finished jobs at once; here they become results like any
// other, kept by source (results.js resultKey).
import * as api from './api.js';
import { givenSource, resultKey, viewKey } from './results.js';

/** The dataset's given layouts ({source, dimensions}), [] when it has none or is not loaded. */
export function givenLayouts(info) {
  return info?.given ?? [];
}

/**
 * The source the Given tab shows for `info`: the chosen one when the dataset has it, else its
 * first layout; null when it has none.
 */
export function chosenGiven(state, info = state.info) {
  const layouts = givenLayouts(info);
  const wanted = givenSource(state);
  if (wanted && layouts.some((g) => g.source === wanted)) return wanted;
  return layouts[0]?.source ?? null;
}

/** Fetch given layout `source` of dataset `id` on `rows` (null = all): a final result object. */
export async function fetchGiven(id, rows, source) {
  const job = await api.createProjection(id, api.projectionBody('given', { source }, rows));
  const coords = await api.getCoords(job.id);
  const key = resultKey(id, 'given', rows, false, null, source);
  const view = viewKey(id, rows);
  return {
    key,
    coords: { ...coords, rows: rows ? Int32Array.from(rows) : null, job: job.id, key, view, method: 'given', seq: 'final', source },
    variance: [],
    final: true,
  };
}
