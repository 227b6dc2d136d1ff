// The colour legend: swatch + value + count per category, or a colour bar with min and max.
import { byId, el } from '../dom.js';
import { sequentialGradient } from '../colors.js';

/** Short, readable form of a legend number. */
export function formatNumber(v) {
  if (v === null || v === undefined) return '–';
  if (Number.isInteger(v)) return String(v);
  return String(Number(v.toPrecision(4)));
}

function categorical(legend) {
  return el(
    'ul',
    { className: 'legend-list' },
    ...legend.entries.map((entry) =>
      el(
        'li',
        { className: 'legend-item', dataset: { value: entry.value } },
        el('span', { className: 'swatch', style: { backgroundColor: entry.color } }),
        el('span', { className: 'legend-value', title: entry.value }, entry.value),
        el('span', { className: 'legend-count' }, String(entry.count)),
      ),
    ),
  );
}

function sequential(legend) {
  return el(
    'div',
    { className: 'colorbar' },
    el('div', { className: 'colorbar-ramp', style: { backgroundImage: sequentialGradient() } }),
    el(
      'div',
      { className: 'colorbar-labels' },
      el('span', { className: 'colorbar-min' }, formatNumber(legend.min)),
      el('span', { className: 'colorbar-max' }, formatNumber(legend.max)),
    ),
  );
}

/** Draw the legend of store.coloring into #legend. */
export function mountLegend(store) {
  const root = byId('legend');
  function render({ coloring }) {
    const legend = coloring?.legend;
    root.dataset.kind = legend ? legend.kind : 'none';
    if (!legend) {
      root.replaceChildren();
      return;
    }
    root.replaceChildren(
      el('div', { className: 'legend-title' }, legend.column),
      legend.kind === 'categorical' ? categorical(legend) : sequential(legend),
    );
  }
  store.subscribe(['coloring'], render);
  render(store.get());
}
