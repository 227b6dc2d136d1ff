// Inspector "Diagnostics": Compute (a job with progress), then the top rows by hubness or sparsity
// (a click selects one) and the near-duplicate pairs (a click selects both).
import { byId, el } from '../dom.js';
import { labelOf } from '../metadata.js';

const TOP = 100;

function topRows(values, n) {
  const rows = [];
  for (let i = 0; i < values.length; i++) if (values[i] !== null) rows.push(i);
  rows.sort((a, b) => values[b] - values[a] || a - b);
  return rows.slice(0, n);
}

/** Wire the Diagnostics section to the store and the diagnostics actions. */
export function mountDiagnosticsPanel(store, actions) {
  const compute = byId('diagnostics-compute');
  const status = byId('diagnostics-status');
  const message = byId('diagnostics-message');
  const summary = byId('diagnostics-summary');
  const sortSelect = byId('diagnostics-sort');
  const list = byId('diagnostics-list');
  const dupCount = byId('duplicates-count');
  const dupList = byId('duplicates-list');
  let ranked = { values: null, rows: [] }; // a 400k-row sort once per column, not per render

  function top(values) {
    if (ranked.values !== values) ranked = { values, rows: topRows(values, TOP) };
    return ranked.rows;
  }

  function render(state) {
    const d = state.diagnostics;
    const running = d.status && !['done', 'failed', 'cancelled'].includes(d.status);
    compute.disabled = !state.dataset || running;
    status.textContent = running ? `Computing… ${Math.round(d.progress * 100)}%` : '';
    message.hidden = !d.error;
    message.textContent = d.error || '';
    const done = d.status === 'done' && d.extras;
    sortSelect.disabled = !done;
    sortSelect.value = state.diagnosticsSort;
    summary.textContent = done
      ? `k = ${d.extras.k} (${d.extras.metric}): hubness skewness ${d.extras.hubness_skewness.toFixed(2)}, most listed ${d.extras.hubness_max} times`
      : '';
    const column = done ? state.derivedColumns.find((c) => c.name === state.diagnosticsSort) : null;
    list.replaceChildren(...(column ? top(column.values) : []).map((row) => el(
      'li',
      { className: 'result-item', dataset: { row: String(row) }, tabIndex: 0, onclick: () => actions.selectPoint(row) },
      el('span', { className: 'result-label' }, labelOf(state, row)),
      el('span', { className: 'distance' }, state.diagnosticsSort === 'hubness' ? String(column.values[row]) : column.values[row].toFixed(3)),
    )));
    const dups = done ? d.extras.duplicates : null;
    dupCount.textContent = dups
      ? `${dups.count} near-duplicate ${dups.count === 1 ? 'pair' : 'pairs'} (distance < ${d.extras.duplicate_threshold})` + (dups.truncated ? `, first ${dups.pairs.length} listed` : '')
      : '';
    dupList.replaceChildren(...(dups ? dups.pairs : []).map(([a, b, dist]) => el(
      'li',
      { className: 'result-item', dataset: { rows: `${a},${b}` }, tabIndex: 0, onclick: () => actions.selectRows([a, b], 'replace', 'duplicates') },
      el('span', { className: 'result-label' }, `${labelOf(state, a)} — ${labelOf(state, b)}`),
      el('span', { className: 'distance' }, dist.toExponential(1)),
    )));
  }

  const kField = byId('diagnostics-k');
  const thresholdField = byId('diagnostics-threshold');
  compute.addEventListener('click', () => {
    // Out-of-range values are refused with the field's own message (k 1..100, a threshold >= 0).
    const bad = [kField, thresholdField].find((f) => !f.checkValidity());
    if (bad) {
      bad.reportValidity();
      return;
    }
    actions.computeDiagnostics({ k: Number(kField.value), duplicateThreshold: Number(thresholdField.value) });
  });
  sortSelect.addEventListener('change', () => actions.setDiagnosticsSort(sortSelect.value));
  store.subscribe(['diagnostics', 'diagnosticsSort', 'derivedColumns', 'dataset', 'labelBy', 'metadata'], render);
  render(store.get());
}
