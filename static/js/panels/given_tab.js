// The Given tab: the layouts that came with the data (by source and dimensions) and the chosen
// one; and the Inspector's note that a coordinates-only dataset finds neighbours in that space.
import { byId, setOptions } from '../dom.js';
import { chosenGiven, givenLayouts } from '../given_layouts.js';

const TENSORBOARD_METHODS = { pca: 'PCA', tsne: 't-SNE', umap: 'UMAP', custom: 'custom' };

/** What a source names: "the columns x, y", or "TensorBoard bookmark 2 (t-SNE)" for tensorboard:{hash}:{index}:{method}. */
function sourceName(source) {
  const tensorboard = /^tensorboard:[^:]*:(\d+):(\w+)$/.exec(source);
  if (tensorboard) return `TensorBoard bookmark ${Number(tensorboard[1]) + 1} (${TENSORBOARD_METHODS[tensorboard[2]] ?? tensorboard[2]})`;
  return source.includes(':') ? source : source.split(',').join(', ');
}

/** "x, y (2D)" for a given layout; "TensorBoard bookmark 1 (t-SNE) (2D)" for an imported state. */
export function layoutText({ source, dimensions }) {
  const named = sourceName(source);
  return dimensions ? `${named} (${dimensions}D)` : named;
}

/** The layouts the tab lists: the dataset's own, plus the one on screen if it came from elsewhere (a bookmark). */
function listed(state) {
  const layouts = [...givenLayouts(state.info)];
  const c = state.coords;
  if (c?.method === 'given' && c.source && !layouts.some((g) => g.source === c.source)) {
    layouts.push({ source: c.source, dimensions: c.d });
  }
  return layouts;
}

/** The note under the Given tab's list about what is shown. */
function noteText(state) {
  const c = state.coords;
  if (c?.method !== 'given') return givenLayouts(state.info).length ? 'Loading the given layout…' : '';
  const from = c.source.includes(':') ? `from ${sourceName(c.source)}` : `from the columns ${c.source.split(',').join(', ')}`;
  const rows = c.rows ? ` of ${c.n.toLocaleString('en-US')} isolated points` : '';
  return `Coordinates as given ${from}${rows}, shown in ${c.d}D; never recomputed.`;
}

/** Wire the Given tab and the Inspector's neighbour-space note to the store and actions. */
export function mountGivenTab(store, actions) {
  const select = byId('given-layout');
  const note = byId('given-note');
  const space = byId('neighbor-space');

  function render(state) {
    const layouts = listed(state);
    const shown = state.coords?.method === 'given' ? state.coords.source : chosenGiven(state);
    setOptions(select, layouts.map((g) => ({ value: g.source, text: layoutText(g) })), shown);
    select.disabled = layouts.length < 2;
    note.textContent = noteText(state);
    const info = state.info?.id === state.dataset ? state.info : null;
    space.hidden = !info?.coords_only;
    space.textContent = info?.coords_only
      ? `Neighbours are computed in the given ${info.dim}D space: this dataset has no vectors.`
      : '';
  }

  select.addEventListener('change', () => actions.showGiven(select.value));
  store.subscribe(['info', 'coords', 'params', 'dataset'], render);
  render(store.get());
}
