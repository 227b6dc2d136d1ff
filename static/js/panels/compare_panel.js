// The Compare control (Data panel): "Compare with [dataset] [match by] [k]", its progress, the
// summary (mean Jaccard overlap@k, matched rows), the 100 most changed points (a click selects),
// and the side-by-side layout of the stage while a comparison is open.
import { byId, el, setChildren, setOptions } from '../dom.js';
import { labelOf, userColumns } from '../metadata.js';

const ROW_ORDER = '';
// An other dataset this many times larger: its neighbour graph, computed first, may take minutes.
const LARGE_FACTOR = 4;

const rowsText = (n) => `${Number(n).toLocaleString('en-US')} rows`;

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
  const stop = byId('compare-stop');
  const close = byId('compare-close');
  const warning = byId('compare-warning');
  const status = byId('compare-status');
  const summary = byId('compare-summary');
  const changed = byId('compare-changed');
  const caption = byId('compare-caption');
  const stage = byId('scene').parentElement;

  // Each other dataset with its row count; by row order only those of this dataset's count can be chosen.
  function renderChoices() {
    const { datasets, dataset, info } = store.get();
    const columns = userColumns(info?.columns ?? []).map((c) => ({ value: c.name, text: `key: ${c.name}` }));
    setOptions(keySelect, [{ value: ROW_ORDER, text: 'by row order' }, ...columns], pending ? pending.key : keySelect.value);
    const n = info?.n ?? datasets.find((d) => d.id === dataset)?.n ?? null;
    const byOrder = keySelect.value === ROW_ORDER;
    const others = datasets.filter((d) => d.id !== dataset).map((d) => {
      const unequal = byOrder && n !== null && d.n !== n;
      return {
        value: d.id, n: d.n, name: d.name || d.id, disabled: unequal,
        text: `${d.name || d.id} (${rowsText(d.n)})${unequal ? ` — by row order needs ${rowsText(n)}` : ''}`,
      };
    });
    const wanted = pending ? pending.dataset : datasetSelect.value;
    const keep = others.find((o) => o.value === wanted && !o.disabled) ?? others.find((o) => !o.disabled);
    // A restored comparison's choices hold until its key column and dataset are listed.
    if (pending && keySelect.value === pending.key && keep?.value === pending.dataset) pending = null;
    setOptions(datasetSelect, others, keep?.value);
    if (!keep) datasetSelect.value = '';
    const chosen = others.find((o) => o.value === datasetSelect.value);
    const large = chosen && n !== null && chosen.n > LARGE_FACTOR * n;
    warning.hidden = !large;
    warning.textContent = large
      ? `${chosen.name} is much larger: its neighbour graph is computed first and may take minutes.`
      : '';
    run.disabled = !keep || !dataset;
  }

  // The controls show the comparison on screen (a shared link's, too), once per comparison.
  let shownFor = null;
  let pending = null; // {dataset, key}: a comparison's choices not yet shown (its lists still loading)
  function syncControls(c) {
    const id = c ? `${c.dataset}\n${c.key ?? ''}\n${c.k}` : null;
    if (id === shownFor) return;
    shownFor = id;
    pending = c ? { dataset: c.dataset, key: c.key ?? ROW_ORDER } : null;
    if (!c) return;
    kInput.value = String(c.k);
    renderChoices();
  }

  function renderCompare(s) {
    const c = s.compare;
    syncControls(c);
    stage.classList.toggle('comparing', !!c);
    close.hidden = !c;
    // Stop takes Compare's place while it runs, and the status line is under the list: nothing above
    // the most-changed list moves when the comparison finishes (a list moving under the pointer between
    // press and release lost the click).
    stop.hidden = !c?.busy;
    run.hidden = !!c?.busy;
    renderCaption(s);
    status.classList.toggle('error-text', !!c?.error);
    status.textContent = !c ? '' : c.error ? c.error : c.busy ? `${c.message} ${Math.round((c.progress ?? 0) * 100)}%` : c.note ?? '';
    summary.textContent = c?.summary ? summaryText(c.summary) : '';
    renderChanged(s);
  }

  // Isolated: the second map is the other dataset's PCA of the rows matched to the isolated points,
  // or (when that could not run) its PCA of all its rows.
  function renderCaption(s) {
    const c = s.compare;
    caption.hidden = !c;
    caption.textContent = !c ? '' : !s.coords?.rows
      ? `${c.otherName}: PCA, linked to the map on the left`
      : c.isolatedPca
        ? `${c.otherName}: PCA of the isolated points' matches, linked to the map on the left`
        : `${c.otherName}: PCA of all its rows (the isolated points shown), linked to the map on the left`;
  }

  // Rebuilt only when the list or its labels change: a rebuild between a press and its release
  // (each progress or layout update of the comparison) lost the click.
  let listed = null;
  function renderChanged(s) {
    const list = s.compare?.mostChanged ?? [];
    const key = [list, s.labelBy, s.metadata];
    if (listed && key.every((v, i) => v === listed[i])) return;
    listed = key;
    changed.hidden = list.length === 0;
    setChildren(changed, list.map(({ row, overlap }) => el('li', {},
      el('button', { type: 'button', className: 'compare-row', dataset: { row } },
        `${labelOf(s, row) || `#${row}`} — ${overlap.toFixed(2)}`))));
  }
  changed.addEventListener('click', (event) => {
    const button = event.target.closest?.('button.compare-row');
    if (button && changed.contains(button)) actions.selectPoint(Number(button.dataset.row));
  });

  run.addEventListener('click', () => {
    const k = Math.min(100, Math.max(1, Math.round(Number(kInput.value) || 10)));
    kInput.value = String(k);
    actions.compareWith({ dataset: datasetSelect.value, key: keySelect.value || null, k });
  });
  close.addEventListener('click', () => actions.closeCompare());
  stop.addEventListener('click', () => actions.stopCompare());
  const chosen = () => {
    pending = null; // the user's choice wins over a restored comparison's
    renderChoices();
  };
  keySelect.addEventListener('change', chosen);
  datasetSelect.addEventListener('change', chosen);

  store.subscribe(['datasets', 'dataset', 'info'], renderChoices);
  store.subscribe(['compare'], renderCompare);
  store.subscribe(['coords'], renderCaption);
  store.subscribe(['labelBy', 'metadata'], renderChanged);
  renderChoices();
  renderCompare(store.get());
}
