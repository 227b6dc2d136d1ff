// Inspector: search (substring or regex over a column), the selected point and its nearest
// neighbours, Isolate / Clear selection / Show all data, and the "Showing N of M points" line.
import { byId, el, setOptions } from '../dom.js';
import { labelOf } from '../metadata.js';
import { neighborHex, neighborScale } from '../colors.js';
import { spriteThumb } from '../sprite_thumbs.js';

const MAX_LISTED = 100;
const SEARCH_DELAY_MS = 120; // coalesce keystrokes; a 400k-row scan takes tens of ms (a regex runs in a worker)

/** A bar whose length follows the distance (full track = the farthest neighbour listed), in the point's colour. */
function distanceBar(distance, farthest, t, theme) {
  const bar = el('span', { className: 'distance-bar' });
  bar.style.width = `${farthest > 0 ? Math.max(2, (distance / farthest) * 100) : 100}%`;
  bar.style.backgroundColor = neighborHex(t, theme);
  return el('span', { className: 'distance-track', attrs: { 'aria-hidden': 'true' } }, bar);
}

function resultItem(state, row, onPick, distance, bar = null) {
  return el(
    'li',
    { className: 'result-item', dataset: { row: String(row) }, tabIndex: 0, onclick: () => onPick(row),
      onkeydown: (e) => { if (e.key === 'Enter') onPick(row); } },
    spriteThumb(state.info?.id === state.dataset ? state.info?.sprite : null, row),
    el('span', { className: 'result-label' }, labelOf(state, row)),
    bar,
    distance === undefined ? null : el('span', { className: 'distance' }, distance.toFixed(3)),
  );
}

/** Wire the Inspector panel to the store and actions. */
export function mountInspectorPanel(store, actions) {
  const input = byId('search-input');
  const regex = byId('search-regex');
  const searchBy = byId('search-by');
  const message = byId('search-message');
  const matchCount = byId('match-count');
  const matchList = byId('match-list');
  const showing = byId('showing');
  const isolate = byId('isolate-button');
  const selectedBox = byId('selected-point');
  const selectedLabel = byId('selected-label');
  const count = byId('neighbor-count');
  const metric = byId('neighbor-metric');
  const neighborStatus = byId('neighbor-status');
  const neighborList = byId('neighbor-list');
  let searchTimer = 0;

  function renderSearch(state) {
    const { search, metadata, labelBy } = state;
    const columns = metadata?.columns ?? [];
    setOptions(searchBy, columns.map((c) => ({ value: c.name, text: c.name })), search.column ?? labelBy);
    if (input.value !== search.query && document.activeElement !== input) input.value = search.query;
    regex.checked = search.regex;
    // An invalid regex, or a pattern too slow for the worker (its literal text was searched).
    const note = search.error || search.notice || '';
    message.hidden = !note;
    message.textContent = note;
    const n = search.matches.length;
    if (search.pending) matchCount.textContent = 'Searching…';
    else matchCount.textContent = search.query && !search.error ? `${n} ${n === 1 ? 'match' : 'matches'}` + (n > MAX_LISTED ? ` (first ${MAX_LISTED} shown)` : '') : '';
    const pick = (row) => actions.selectPoint(row);
    matchList.replaceChildren(...search.matches.slice(0, MAX_LISTED).map((row) => resultItem(state, row, pick)));
  }

  function renderSelection(state) {
    const { selection, neighbors, neighborsLoading, neighborParams } = state;
    const single = selection.length === 1;
    selectedBox.hidden = !single;
    selectedLabel.textContent = single ? labelOf(state, selection[0]) : '';
    if (document.activeElement !== count) count.value = String(neighborParams.k);
    metric.value = neighborParams.metric;
    neighborStatus.textContent = neighborsLoading ? 'Finding nearest neighbours…' : single ? `${neighbors.length} nearest (${neighborParams.metric})` : '';
    const pick = (row) => actions.selectPoint(row);
    const scale = neighborScale(neighbors);
    const farthest = neighbors.reduce((m, nb) => Math.max(m, nb.distance), 0);
    neighborList.replaceChildren(
      ...(single ? neighbors.map((nb, k) => resultItem(state, nb.row, pick, nb.distance, distanceBar(nb.distance, farthest, scale[k], state.theme))) : []),
    );
    for (const item of matchList.children) item.classList.toggle('selected', selection.includes(Number(item.dataset.row)));
    const n = actions.isolationRows().length;
    isolate.textContent = `Isolate ${n} ${n === 1 ? 'point' : 'points'}`;
    isolate.disabled = n === 0 || neighborsLoading;
    byId('clear-button').disabled = selection.length === 0;
  }

  function renderShowing({ coords, info, isolated }) {
    showing.textContent = coords && info ? `Showing ${coords.n} of ${info.n} points` : '';
    byId('show-all-button').disabled = !isolated;
  }

  input.addEventListener('input', () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => actions.search({ query: input.value }), SEARCH_DELAY_MS);
  });
  input.addEventListener('keydown', (event) => {
    if (event.key !== 'Enter') return;
    clearTimeout(searchTimer);
    actions.search({ query: input.value });
  });
  regex.addEventListener('change', () => actions.search({ query: input.value, regex: regex.checked }));
  searchBy.addEventListener('change', () => actions.search({ query: input.value, column: searchBy.value }));
  count.addEventListener('change', () => {
    const k = Math.round(Number(count.value));
    if (Number.isFinite(k) && k >= 1) actions.setNeighborParams({ k: Math.min(k, Number(count.max) || k) });
    else count.value = String(store.get().neighborParams.k);
  });
  metric.addEventListener('change', () => actions.setNeighborParams({ metric: metric.value }));
  isolate.addEventListener('click', () => actions.isolate());
  byId('clear-button').addEventListener('click', () => actions.clearSelection());
  byId('show-all-button').addEventListener('click', () => actions.showAll());

  store.subscribe(['search', 'metadata', 'labelBy'], (s) => {
    renderSearch(s);
    renderSelection(s);
  });
  store.subscribe(['selection', 'neighbors', 'neighborsLoading', 'neighborParams', 'theme'], renderSelection);
  store.subscribe(['coords', 'info', 'isolated'], renderShowing);
  renderSearch(store.get());
  renderSelection(store.get());
  renderShowing(store.get());
}
