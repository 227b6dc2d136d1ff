// Inspector "Query" box: an expression or a pasted vector, "Centroid of selection", and the answer
// (the k nearest rows with distances; a click selects one).
import { byId, el } from '../dom.js';
import { labelOf } from '../metadata.js';

/** Wire the Query box to the store and the vector query actions. */
export function mountQueryBox(store, actions) {
  const form = byId('query-form');
  const input = byId('query-input');
  const centroid = byId('query-centroid');
  const status = byId('query-status');
  const message = byId('query-message');
  const list = byId('query-list');

  function render(state) {
    const q = state.vectorQuery;
    centroid.disabled = state.selection.length === 0 || !state.dataset;
    message.hidden = !q.error;
    message.textContent = q.error || '';
    const terms = q.answer?.terms ?? [];
    const what = q.kind === 'vector' ? 'the pasted vector' : q.kind === 'rows' ? q.text
      : terms.map((t, i) => `${t.sign < 0 ? '− ' : i ? '+ ' : ''}${t.term}`).join(' ');
    status.textContent = q.pending ? 'Querying…' : q.answer ? `${q.answer.neighbors.length} nearest to ${what} (${q.answer.metric})` : '';
    const selected = new Set(state.selection.length <= 1000 ? state.selection : []);
    list.replaceChildren(...(q.answer?.neighbors ?? []).map((nb) => el(
      'li',
      { className: `result-item${selected.has(nb.row) && state.selection.length === 1 ? ' selected' : ''}`,
        dataset: { row: String(nb.row) }, tabIndex: 0, onclick: () => actions.selectPoint(nb.row),
        onkeydown: (e) => { if (e.key === 'Enter') actions.selectPoint(nb.row); } },
      el('span', { className: 'result-label' }, labelOf(state, nb.row)),
      el('span', { className: 'distance' }, nb.distance.toFixed(3)),
    )));
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (input.value.trim()) actions.queryText(input.value);
  });
  centroid.addEventListener('click', () => actions.queryCentroid());
  store.subscribe(['vectorQuery', 'selection', 'dataset', 'labelBy', 'metadata'], render);
  render(store.get());
}
