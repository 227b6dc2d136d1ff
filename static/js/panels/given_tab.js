// The Given tab: the layouts that came with the data (by source and dimensions) and the chosen
// one; and the Inspector's note that a coordinates-only dataset finds neighbours in that space.
import { byId, setOptions } from '../dom.js';
import { chosenGiven, givenLayouts } from '../given_layouts.js';

/** "x, y (2D)" for a given layout; a TensorBoard bookmark's source reads as it is. */
export function layoutText({ source, dimensions }) {
  const named = source.includes(':') ? source : source.split(',').join(', ');
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
  const from = c.source.includes(':') ? `from ${c.source}` : `from the columns ${c.source.split(',').join(', ')}`;
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
