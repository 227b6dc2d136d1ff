// The Compare control (Data panel): "Compare with [dataset] [match by] [k]", its progress, the
// summary (mean Jaccard overlap@k, matched rows), the 100 most changed points (a click selects),
// and the side-by-side layout of the stage while a comparison is open.
import { byId, el, setChildren, setOptions } from '../dom.js';
import { labelOf, userColumns } from '../metadata.js';

const ROW_ORDER = '';

/** The summary line of a finished comparison's extras. */
export function summaryText(extras) {
  const parts = [`Mean Jaccard overlap@${extras.k}: ${extras.mean_overlap.toFixed(3)}`, `${extras.matched} matched rows`];
  if (extras.unmatched) parts.push(`${extras.unmatched} here without a match`);
  if (extras.other_unmatched) parts.push(`${extras.other_unmatched} there without a match`);
  return parts.join(' · ');
}

/** Wire the Compare control to the store and actions. */
export function mountComparePanel(store, actions) {
  const datasetSelect = byId('compare-dataset');
  const keySelect = byId('compare-key');
  const kInput = byId('compare-k');
  const run = byId('compare-button');
  const close = byId('compare-close');
  const status = byId('compare-status');
  const summary = byId('compare-summary');
  const changed = byId('compare-changed');
  const caption = byId('compare-caption');
  const stage = byId('scene').parentElement;

  function renderChoices({ datasets, dataset, info }) {
    const others = datasets.filter((d) => d.id !== dataset);
    setOptions(datasetSelect, others.map((d) => ({ value: d.id, text: d.name || d.id })), datasetSelect.value || undefined);
    const columns = userColumns(info?.columns ?? []).map((c) => ({ value: c.name, text: `key: ${c.name}` }));
    setOptions(keySelect, [{ value: ROW_ORDER, text: 'by row order' }, ...columns], keySelect.value);
    run.disabled = others.length === 0 || !dataset;
  }

  function renderCompare(s) {
    const c = s.compare;
    stage.classList.toggle('comparing', !!c);
    close.hidden = !c;
    caption.hidden = !c;
    caption.textContent = c ? `${c.otherName}: PCA, linked to the map on the left` : '';
    status.classList.toggle('error-text', !!c?.error);
    status.textContent = !c ? '' : c.error ? c.error : c.busy ? `${c.message} ${Math.round((c.progress ?? 0) * 100)}%` : '';
    summary.textContent = c?.summary ? summaryText(c.summary) : '';
    renderChanged(s);
  }

  function renderChanged(s) {
    const list = s.compare?.mostChanged ?? [];
    changed.hidden = list.length === 0;
    setChildren(changed, list.map(({ row, overlap }) => el('li', {},
      el('button', { type: 'button', className: 'compare-row', dataset: { row }, onclick: () => actions.selectPoint(row) },
        `${labelOf(s, row) || `#${row}`} — ${overlap.toFixed(2)}`))));
  }

  run.addEventListener('click', () => {
    const k = Math.min(100, Math.max(1, Math.round(Number(kInput.value) || 10)));
    kInput.value = String(k);
    actions.compareWith({ dataset: datasetSelect.value, key: keySelect.value || null, k });
  });
  close.addEventListener('click', () => actions.closeCompare());

  store.subscribe(['datasets', 'dataset', 'info'], renderChoices);
  store.subscribe(['compare'], renderCompare);
  store.subscribe(['labelBy', 'metadata'], renderChanged);
  renderChoices(store.get());
  renderCompare(store.get());
}
