// Which projection result is on screen: results are kept per (dataset, isolated rows, method,
// sphereize), and each tab shows its own latest result, else the PCA of the same points.

/** A short, stable name for an isolated row set (null = all rows). */
export function isolationKey(rows) {
  if (!rows) return 'all';
  let h = 0x811c9dc5; // FNV-1a over the row numbers
  for (const row of rows) {
    h ^= row;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return `${rows.length}:${h.toString(36)}`;
}

/** The key of the points on screen, whatever the method: dataset + isolated rows. */
export function viewKey(dataset, rows) {
  return `${dataset}|${isolationKey(rows)}`;
}

/** The key a result of `method` is kept under; sphereized data gets its own results. */
export function resultKey(dataset, method, rows, sphereize = false) {
  return `${viewKey(dataset, rows)}|${method}${sphereize ? '|sphereized' : ''}`;
}

/** Whether projections of the current view run on sphereized data (store.projection.sphereize). */
export function sphereized(state) {
  return !!state.projection.sphereize;
}

/** The current PCA result ({coords, variance}) of the current dataset and isolation, or null. */
export function pcaResult(state) {
  return state.results[resultKey(state.dataset, 'pca', state.isolated, sphereized(state))] || null;
}

/** The current tab's own result (maybe a snapshot of a run), or null. */
export function ownResult(state) {
  return state.results[resultKey(state.dataset, state.projection.method, state.isolated, sphereized(state))] || null;
}

/** The current tab's run ({job, error, ...}), or null. */
export function currentRun(state, method = state.projection.method) {
  return state.runs[resultKey(state.dataset, method, state.isolated, sphereized(state))] || null;
}

/**
 * What to draw for the current tab: {coords, variance, mode}, or null while nothing is computed.
 * A PCA layout uses the PCA tab's 2D/3D choice; the others follow their own dimensionality.
 */
export function pickView(state) {
  const pca = pcaResult(state);
  const shown = ownResult(state) || pca;
  if (!shown) return null;
  const { coords } = shown;
  const mode = coords.method === 'pca' ? state.params.pca.mode : coords.d >= 3 ? '3d' : '2d';
  return { coords, variance: pca?.variance ?? [], mode };
}
