// Which projection result is on screen: results are kept per (dataset, isolated rows, method,
// sphereize, for t-SNE and UMAP dimensionality, and for given layouts their source), and each tab
// shows its own latest result, else the PCA of the same points.

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

// t-SNE and UMAP keep a 2D and a 3D result apart, so the Dimension toggle can go back to either.
const BY_DIMENSIONS = new Set(['tsne', 'umap']);

/** The layout dimensionality (2 or 3) chosen in `method`'s form; null for PCA and Custom. */
export function formDimensions(state, method = state.projection.method) {
  if (!BY_DIMENSIONS.has(method)) return null;
  return Number(state.params[method]?.dimensions) === 3 ? 3 : 2;
}

/**
 * The key a result of `method` is kept under; sphereized data gets its own results, t-SNE
 * and UMAP one per dimensionality (`dimensions`, 2 when not given), and a given layout one per
 * `source` ("x,y", "tensorboard:..."; never sphereized: its coordinates are as they came).
 */
export function resultKey(dataset, method, rows, sphereize = false, dimensions = null, source = null) {
  if (method === 'given') return `${viewKey(dataset, rows)}|given|${source ?? ''}`;
  const base = `${viewKey(dataset, rows)}|${method}${sphereize ? '|sphereized' : ''}`;
  return BY_DIMENSIONS.has(method) ? `${base}|${Number(dimensions) === 3 ? 3 : 2}d` : base;
}

/** The given layout's source chosen in the Given tab (store.params.given.source), or null. */
export function givenSource(state) {
  return state.params.given?.source ?? null;
}

/** Whether projections of the current view run on sphereized data (store.projection.sphereize). */
export function sphereized(state) {
  return !!state.projection.sphereize;
}

/** The current PCA result ({coords, variance}) of the current dataset and isolation, or null. */
export function pcaResult(state) {
  return state.results[resultKey(state.dataset, 'pca', state.isolated, sphereized(state))] || null;
}

function methodResult(state, method, dimensions) {
  const key = resultKey(state.dataset, method, state.isolated, sphereized(state), dimensions, givenSource(state));
  return state.results[key] || null;
}

/** The tab's own result for its chosen dimensionality (maybe a snapshot of a run), or null. */
export function ownResult(state, method = state.projection.method) {
  return methodResult(state, method, formDimensions(state, method));
}

/** The tab's result in the dimensionality not chosen (t-SNE, UMAP), or null. */
export function otherResult(state, method = state.projection.method) {
  const dims = formDimensions(state, method);
  return dims ? methodResult(state, method, 5 - dims) : null;
}

/** The current tab's run ({job, error, ...}) for its chosen dimensionality, or null. */
export function currentRun(state, method = state.projection.method) {
  const key = resultKey(state.dataset, method, state.isolated, sphereized(state), formDimensions(state, method), givenSource(state));
  return state.runs[key] || null;
}

/**
 * What to draw for the current tab: {coords, variance, mode}, or null while nothing is computed.
 * The tab's result in the chosen dimensionality, else the one in the other (its run box then
 * invites Run), else the PCA of the same points. A PCA layout uses the PCA tab's 2D/3D choice;
 * the others follow their own dimensionality.
 */
export function pickView(state) {
  const pca = pcaResult(state);
  const shown = ownResult(state) || otherResult(state) || pca;
  if (!shown) return null;
  const { coords } = shown;
  const mode = coords.method === 'pca' ? state.params.pca.mode : coords.d >= 3 ? '3d' : '2d';
  return { coords, variance: pca?.variance ?? [], mode };
}
