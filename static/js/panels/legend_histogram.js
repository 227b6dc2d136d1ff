// Under a colour bar: how a numeric column's values spread over the bar's range, as bars.
import { el } from '../dom.js';
import { columnByName } from '../metadata.js';
import { formatNumber } from './legend.js';

export const BINS = 20;

/** Counts of the finite `values` in `bins` equal bins over [lo, hi] (hi itself in the last). */
export function histogram(values, lo, hi, bins = BINS) {
  const counts = new Array(bins).fill(0);
  const span = hi > lo ? hi - lo : 1;
  for (const v of values) {
    if (typeof v !== 'number' || !Number.isFinite(v)) continue;
    const b = Math.floor(((v - lo) / span) * bins);
    counts[Math.min(bins - 1, Math.max(0, b))]++;
  }
  return counts;
}

/** The histogram element of the sequential legend `legend` (its column in `state`), or null. */
export function legendHistogram(state, legend) {
  const column = columnByName(state, legend.column);
  if (!column || column.type !== 'numeric' || legend.lo === null) return null;
  const counts = histogram(column.values, legend.lo, legend.hi);
  const most = Math.max(1, ...counts);
  const width = (legend.hi - legend.lo) / BINS;
  const bars = counts.map((count, b) => {
    const from = legend.lo + b * width;
    const bar = el('span', {
      className: 'histogram-bar',
      dataset: { count: String(count) },
      title: `${formatNumber(from)} to ${formatNumber(from + width)}: ${count} points`,
    });
    bar.style.height = `${count > 0 ? Math.max(4, (count / most) * 100) : 0}%`;
    return bar;
  });
  return el('div', { className: 'legend-histogram', attrs: { role: 'img', 'aria-label': `Histogram of ${legend.column}` } }, ...bars);
}
