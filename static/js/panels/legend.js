// The colour legend: swatch + value + count per category (a click selects that category's points;
// Shift adds, Alt or Ctrl removes), or a colour bar with nice round ticks (diverging around 0 when
// the column has both signs).
import { byId, el } from '../dom.js';
import { niceTicks, rowsOfSlot, scaleGradient } from '../colors.js';
import { legendHistogram } from './legend_histogram.js';

/** Short, readable form of a legend number. */
export function formatNumber(v) {
  if (v === null || v === undefined) return '–';
  if (Number.isInteger(v)) return String(v);
  return String(Number(v.toPrecision(4)));
}

/** How a click with these modifier keys changes the selection. */
function selectionOp(event) {
  if (event.altKey || event.ctrlKey || event.metaKey) return 'remove';
  if (event.shiftKey) return 'add';
  return 'replace';
}

function categorical(legend, onPick) {
  return el(
    'ul',
    { className: 'legend-list' },
    ...legend.entries.map((entry) =>
      el(
        'li',
        {
          className: `legend-item${entry.other ? ' other' : ''}`,
          dataset: { value: entry.value },
          tabIndex: 0,
          attrs: { 'aria-label': `${entry.value}: select these ${entry.count} points (Shift adds, Alt removes)` },
          onclick: (event) => onPick(entry, selectionOp(event)),
          onkeydown: (event) => {
            if (event.key === 'Enter' || event.key === ' ') {
              event.preventDefault();
              onPick(entry, selectionOp(event));
            }
          },
        },
        el('span', { className: 'swatch', style: { backgroundColor: entry.color } }),
        el('span', { className: 'legend-value', title: entry.value }, entry.value),
        el('span', { className: 'legend-count' }, String(entry.count)),
      ),
    ),
  );
}

function sequential(legend) {
  const { lo, hi } = legend;
  const span = hi > lo ? hi - lo : 1;
  const ticks = lo === null ? [] : niceTicks(lo, hi, 4);
  return el(
    'div',
    { className: 'colorbar', dataset: { scale: legend.diverging ? 'diverging' : 'sequential' } },
    el('div', { className: 'colorbar-ramp', style: { backgroundImage: scaleGradient(legend.diverging) } }),
    el(
      'div',
      { className: 'colorbar-ticks' },
      ...ticks.map((v) =>
        el('span', { className: 'colorbar-tick', dataset: { value: String(v) }, style: { left: `${((v - lo) / span) * 100}%` } }, formatNumber(v)),
      ),
    ),
    el(
      'div',
      { className: 'colorbar-labels' },
      el('span', { className: 'colorbar-min', title: 'smallest value' }, formatNumber(legend.min)),
      el('span', { className: 'colorbar-max', title: 'largest value' }, formatNumber(legend.max)),
    ),
  );
}

/** Draw the legend of store.coloring into #legend; clicking a category calls actions.selectRows. */
export function mountLegend(store, actions) {
  const root = byId('legend');
  function pick(entry, op) {
    const { coloring, isolated } = store.get();
    let rows = rowsOfSlot(coloring, entry.slot);
    // In an isolated subset only the points on screen can be picked.
    if (isolated) {
      const shown = new Set(isolated);
      rows = rows.filter((r) => shown.has(r));
    }
    actions.selectRows(rows, op, 'legend');
  }
  function render({ coloring }) {
    const legend = coloring?.legend;
    root.dataset.kind = legend ? legend.kind : 'none';
    if (!legend) {
      root.replaceChildren();
      return;
    }
    root.replaceChildren(
      el('div', { className: 'legend-title', title: legend.column }, legend.column),
      legend.kind === 'categorical' ? categorical(legend, pick) : sequential(legend),
      ...(legend.kind === 'sequential' ? [legendHistogram(store.get(), legend)].filter(Boolean) : []),
    );
  }
  store.subscribe(['coloring'], render);
  render(store.get());
}
