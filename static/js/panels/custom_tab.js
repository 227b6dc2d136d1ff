// The Custom tab: the column to match, Regex, and the Left/Right/Up/Down patterns, each with its
// match count as you type (same rule as the server: case-insensitive substring, or regex).
import { byId, setOptions } from '../dom.js';
import { findMatches } from '../search.js';
import { customColumn } from '../projection_params.js';
import { bindParamForm } from './param_form.js';

const SIDES = ['left', 'right', 'up', 'down'];
const COUNT_DELAY_MS = 80; // coalesce keystrokes; a 400k-row scan takes tens of ms

/** The match-count text of one pattern: {text, kind: 'none'|'zero'|'some'|'error'}. */
export function matchCountText(values, pattern, regex) {
  if (!pattern) return { text: '', kind: 'none' };
  const { rows, error } = findMatches(values, pattern, regex, true);
  if (error) return { text: 'invalid regex', kind: 'error' };
  const n = rows.length;
  return { text: `${n} ${n === 1 ? 'match' : 'matches'}`, kind: n === 0 ? 'zero' : 'some' };
}

/** Wire the Custom tab to the store and actions. */
export function mountCustomTab(store, actions) {
  const column = byId('custom-column');
  const counts = Object.fromEntries(SIDES.map((side) => [side, byId(`custom-${side}-count`)]));
  let last = {}; // side -> "column|regex|pattern" counted last, to rescan only what changed
  let countedMetadata = null;
  let timer = 0;

  function renderColumns({ metadata, params }) {
    const columns = metadata?.columns ?? [];
    setOptions(column, columns.map((c) => ({ value: c.name, text: c.name })), customColumn(params.custom, columns));
    column.disabled = columns.length === 0;
  }

  function renderCounts() {
    timer = 0;
    const { metadata, params } = store.get();
    const form = params.custom;
    if (metadata !== countedMetadata) {
      countedMetadata = metadata;
      last = {};
    }
    const name = customColumn(form, metadata?.columns);
    const values = metadata?.columns.find((c) => c.name === name)?.values ?? [];
    for (const side of SIDES) {
      const pattern = String(form[side] ?? '');
      const signature = `${name}|${form.regex}|${pattern}`;
      if (last[side] === signature) continue;
      last[side] = signature;
      const { text, kind } = matchCountText(values, pattern, !!form.regex);
      counts[side].textContent = text;
      counts[side].dataset.kind = kind;
    }
  }

  column.addEventListener('change', () => actions.setParams('custom', { column: column.value }));
  bindParamForm(byId('pane-custom'), 'custom', store, actions);

  store.subscribe(['metadata', 'params'], (s) => {
    renderColumns(s);
    if (!timer) timer = setTimeout(renderCounts, COUNT_DELAY_MS);
  });
  renderColumns(store.get());
  renderCounts();
}
