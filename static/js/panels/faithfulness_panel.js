// Inspector: "Check faithfulness" for the layout on screen, its progress, the summary line, the key
// of the selected point's rings, and the 100 least faithful points (a click selects one).
import { byId, el } from '../dom.js';
import { labelOf } from '../metadata.js';
import { DEFAULT_K, shownLayout } from '../faithfulness_actions.js';

/** "mean recall@10 0.62 · trustworthiness 0.91 · continuity 0.88 (5,000-point sample)". */
export function summaryText(extras) {
  const parts = [`mean recall@${extras.k} ${extras.mean_recall.toFixed(2)}`];
  if (extras.trustworthiness !== null && extras.trustworthiness !== undefined) {
    parts.push(`trustworthiness ${extras.trustworthiness.toFixed(2)}`, `continuity ${extras.continuity.toFixed(2)}`);
  }
  return `${parts.join(' · ')} (${Number(extras.sample).toLocaleString('en-US')}-point sample)`;
}

function keyLine(kind, text) {
  return el('div', { className: 'faith-key-line' }, el('span', { className: `faith-key-ring faith-${kind}`, attrs: { 'aria-hidden': 'true' } }), el('span', { className: 'faith-key-text' }, text));
}

/** Mount the Faithfulness block into #faithfulness-panel. */
export function mountFaithfulnessPanel(store, actions) {
  const root = byId('faithfulness-panel');
  const k = el('input', { type: 'number', id: 'faith-k', min: 1, max: 100, step: 1, value: String(DEFAULT_K), attrs: { 'aria-label': 'Neighbours compared (k)' } });
  const check = el('button', { type: 'button', id: 'faith-check', onclick: () => {
    // k outside 1..100 (or not whole) is refused with the field's own message, not silently clamped.
    if (!k.checkValidity()) {
      k.reportValidity();
      return;
    }
    actions.checkFaithfulness(k.value === '' ? DEFAULT_K : Number(k.value));
  } }, 'Check faithfulness');
  const status = el('div', { id: 'faith-status', className: 'hint', attrs: { role: 'status' } });
  const summary = el('div', { id: 'faith-summary', className: 'faith-summary' });
  const falseLine = keyLine('false', '');
  const missedLine = keyLine('missed', '');
  const key = el('div', { id: 'faith-key', className: 'faith-key', hidden: true }, falseLine, missedLine);
  const leastTitle = el('div', { className: 'field-label', hidden: true }, 'Least faithful points');
  const least = el('ol', { id: 'faith-least', className: 'result-list faith-least' });
  root.replaceChildren(
    el('div', { className: 'field-label' }, 'Faithfulness'),
    el('div', { className: 'row faith-row' }, check, el('label', { className: 'faith-k-label' }, 'k ', k)),
    status, summary, key, leastTitle, least,
  );

  function renderButton(s) {
    check.disabled = !shownLayout(s) || s.faithfulness.state === 'running';
  }

  function render(s) {
    const f = s.faithfulness;
    renderButton(s);
    if (f.state === 'running') status.textContent = `Checking faithfulness… ${Math.round(f.progress * 100)}%`;
    else status.textContent = f.error ?? '';
    status.classList.toggle('error-text', !!f.error);
    summary.textContent = f.state === 'done' ? summaryText(f.extras) : '';
    const marks = s.faithfulMarks;
    key.hidden = f.state !== 'done';
    const count = (rows) => (marks ? ` (${rows.length} of ${marks.k})` : '');
    falseLine.lastChild.textContent = `false neighbour: near on screen, not in the data${count(marks?.falseRows ?? [])}`;
    missedLine.lastChild.textContent = `missed neighbour: near in the data, not on screen${count(marks?.missedRows ?? [])}`;
    leastTitle.hidden = f.state !== 'done';
    least.replaceChildren(...(f.state === 'done' ? f.least : []).map(({ row, recall }) => el(
      'li',
      { className: `result-item${s.selection.length === 1 && s.selection[0] === row ? ' selected' : ''}`, dataset: { row: String(row) }, tabIndex: 0,
        onclick: () => actions.selectPoint(row), onkeydown: (e) => { if (e.key === 'Enter') actions.selectPoint(row); } },
      el('span', { className: 'result-label' }, labelOf(s, row)),
      el('span', { className: 'distance', title: `recall@${f.extras.k}` }, recall.toFixed(2)),
    )));
  }

  // The camera moves often: only a change of the layout drawn drops the check (and re-renders through it).
  store.subscribe(['coords', 'projection', 'camera', 'dataset'], () => {
    actions.followShownLayout();
    renderButton(store.get());
  });
  store.subscribe(['selection'], () => actions.updateFaithfulMarks());
  store.subscribe(['faithfulness', 'faithfulMarks', 'selection', 'metadata', 'labelBy'], render);
  render(store.get());
}
