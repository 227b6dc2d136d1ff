// The Custom tab: the column to match, Regex, and the Left/Right/Up/Down patterns, each with its
// match count as you type (same rule as the server: case-insensitive substring, or regex).
import { byId, setOptions } from '../dom.js';
import { findMatches } from '../search.js';
import { customColumn } from '../projection_params.js';
import { bindParamForm } from './param_form.js';

const SIDES = ['left', 'right', 'up', 'down'];
const COUNT_DELAY_MS = 80; // coalesce keystrokes; a 400k-row scan takes tens of ms

/**
 * The match-count text of one pattern: a Promise of {text, kind: 'none'|'zero'|'some'|'error'}, or
 * of null when a newer count on the same `channel` replaced it. A regex is counted in a worker
 * that gives up after a time limit ("too slow to count"; the server matches it in linear time).
 */
export async function matchCountText(values, pattern, regex, channel = null) {
  if (!pattern) return { text: '', kind: 'none' };
  const found = await findMatches(values, pattern, regex, { missingAsEmpty: true, channel });
  if (!found) return null;
  if (found.error) return { text: 'invalid regex', kind: 'error' };
  if (found.notice) return { text: 'too slow to count', kind: 'error' };
  const n = found.rows.length;
  return { text: `${n} ${n === 1 ? 'match' : 'matches'}`, kind: n === 0 ? 'zero' : 'some' };
}

/** Wire the Custom tab to the store and actions. */
export function mountCustomTab(store, actions) {
  const column = byId('custom-column');
  const counts = Object.fromEntries(SIDES.map((side) => [side, byId(`custom-${side}-count`)]));
  let last = {}; // side -> "column|regex|pattern" counted last, to rescan only what changed
  let countedMetadata = null;
  const countTokens = Object.fromEntries(SIDES.map((side) => [side, 0])); // the newest count wins
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
      const token = ++countTokens[side];
      matchCountText(values, pattern, !!form.regex, `custom-${side}`).then((shown) => {
        if (!shown || token !== countTokens[side]) return;
        counts[side].textContent = shown.text;
        counts[side].dataset.kind = shown.kind;
      });
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
