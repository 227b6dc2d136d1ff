// Column -> per-row colours (Float32Array, RGB in 0..1) and the legend entries that explain them.

/** Most distinct values a text column may have and still be coloured (one palette slot each). */
export const MAX_CATEGORIES = 20;

/** Colour of every point when nothing colours them. */
export const DEFAULT_COLOR = '#3b73b9';

/** Colour of rows whose value is missing. */
export const MISSING_COLOR = '#b0b0b0';

// A qualitative palette of 20 (d3 category10 plus its lighter companions, reordered so the first
// ten are the strong ones).
const CATEGORICAL = [
  '#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf',
  '#aec7e8', '#ffbb78', '#98df8a', '#ff9896', '#c5b0d5', '#c49c94', '#f7b6d2', '#c7c7c7', '#dbdb8d', '#9edae5',
];

// Viridis sampled at 9 even stops; interpolated linearly in between.
const VIRIDIS = [
  '#440154', '#472c7a', '#3b518b', '#2c718e', '#21908d', '#27ad81', '#5cc863', '#aadc32', '#fde725',
];

/** '#rrggbb' -> [r, g, b] in 0..1. */
export function hexToRgb(hex) {
  const v = parseInt(hex.slice(1), 16);
  return [((v >> 16) & 255) / 255, ((v >> 8) & 255) / 255, (v & 255) / 255];
}

const VIRIDIS_RGB = VIRIDIS.map(hexToRgb);

/** The sequential scale's colour at t in [0, 1], written into out[offset..offset+2]. */
export function sequentialColor(t, out, offset) {
  const x = Math.min(1, Math.max(0, t)) * (VIRIDIS_RGB.length - 1);
  const i = Math.min(VIRIDIS_RGB.length - 2, Math.floor(x));
  const f = x - i;
  const a = VIRIDIS_RGB[i];
  const b = VIRIDIS_RGB[i + 1];
  out[offset] = a[0] + (b[0] - a[0]) * f;
  out[offset + 1] = a[1] + (b[1] - a[1]) * f;
  out[offset + 2] = a[2] + (b[2] - a[2]) * f;
}

/** CSS linear-gradient stops of the sequential scale, for colour bars. */
export function sequentialGradient() {
  return `linear-gradient(to right, ${VIRIDIS.join(', ')})`;
}

/** How a column described by the server ({type, distinct}) can colour: 'categorical' | 'sequential' | null. */
export function colorKind(columnInfo) {
  if (!columnInfo) return null;
  if (columnInfo.type === 'numeric') return 'sequential';
  return columnInfo.distinct <= MAX_CATEGORIES ? 'categorical' : null;
}

function fill(n, hex) {
  const [r, g, b] = hexToRgb(hex);
  const colors = new Float32Array(n * 3);
  for (let i = 0; i < n; i++) {
    colors[i * 3] = r;
    colors[i * 3 + 1] = g;
    colors[i * 3 + 2] = b;
  }
  return colors;
}

function categorical(values) {
  const counts = new Map();
  for (const v of values) {
    if (v === null || v === undefined || v === '') continue;
    counts.set(v, (counts.get(v) || 0) + 1);
  }
  // Most frequent first, so the strong palette colours go to the big groups.
  const ordered = [...counts.entries()].sort((a, b) => b[1] - a[1] || String(a[0]).localeCompare(String(b[0])));
  const slot = new Map(ordered.map(([value], i) => [value, i]));
  const rgb = CATEGORICAL.map(hexToRgb);
  const missing = hexToRgb(MISSING_COLOR);
  const colors = new Float32Array(values.length * 3);
  let missingCount = 0;
  for (let i = 0; i < values.length; i++) {
    const s = slot.get(values[i]);
    if (s === undefined) missingCount++;
    const c = s === undefined ? missing : rgb[s % rgb.length];
    colors.set(c, i * 3);
  }
  const entries = ordered.map(([value, count], i) => ({ value: String(value), count, color: CATEGORICAL[i % CATEGORICAL.length] }));
  if (missingCount) entries.push({ value: '(missing)', count: missingCount, color: MISSING_COLOR });
  return { colors, legend: { kind: 'categorical', entries } };
}

function sequential(values) {
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (typeof v !== 'number' || !Number.isFinite(v)) continue;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const colors = new Float32Array(values.length * 3);
  const missing = hexToRgb(MISSING_COLOR);
  const span = max > min ? max - min : 1;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v !== 'number' || !Number.isFinite(v)) colors.set(missing, i * 3);
    else sequentialColor((v - min) / span, colors, i * 3);
  }
  const finite = min <= max;
  return { colors, legend: { kind: 'sequential', min: finite ? min : null, max: finite ? max : null } };
}

/**
 * Colours for `n` rows coloured by `column` ({name, type, values}) or by nothing (column null):
 * {colors: Float32Array(n*3), legend: null | {kind: 'categorical', entries} | {kind: 'sequential', min, max}}.
 */
export function colorRows(n, column) {
  if (!column) return { colors: fill(n, DEFAULT_COLOR), legend: null };
  const kind = column.type === 'numeric' ? 'sequential' : 'categorical';
  const result = kind === 'sequential' ? sequential(column.values) : categorical(column.values);
  result.legend.column = column.name;
  return result;
}
