// The status line under the map, as TensorBoard's: "Points: 10,000 | Dimension: 50 | PCA 3D".
import { byId } from '../dom.js';

const METHOD_NAMES = { pca: 'PCA', tsne: 't-SNE', umap: 'UMAP', custom: 'Custom', given: 'Given' };
const count = (n) => n.toLocaleString('en-US');

/** The status line's text for `state`: the points drawn (of all, when isolated), the vector dimension and the projection on screen; '' before a view is drawn. */
export function statusLineText({ coords, info, dataset, camera }) {
  if (!coords || !info || info.id !== dataset) return '';
  const points = coords.rows ? `${count(coords.n)} of ${count(info.n)}` : count(coords.n);
  const method = METHOD_NAMES[coords.method || 'pca'] || coords.method;
  return `Points: ${points} | Dimension: ${count(info.dim)} | ${method} ${camera.mode.toUpperCase()}`;
}

/** Keep #status-line in step with the store. */
export function mountStatusLine(store) {
  const line = byId('status-line');
  const render = (s) => {
    line.textContent = statusLineText(s);
  };
  store.subscribe(['coords', 'info', 'dataset', 'camera'], render);
  render(store.get());
}
