// Column -> per-row colours (Float32Array, RGB in 0..1) and the legend entries that explain them;
// the colours of the selected point and of its neighbours by distance.
import { CATEGORICAL, SELECTED_COLOR } from './palettes.js';

export { SELECTED_COLOR };

/** Most categories that get a colour of their own (TensorBoard's limit); the rest are one "other" entry. */
export const MAX_CATEGORIES = CATEGORICAL.length;

/**
 * Most distinct values a text column may have and still be offered in "Color by": past 50 the rest
 * group as "other", and past this many, 50 colours would say little (a column of unique words).
 */
export const MAX_COLORABLE = 200;

/** Colour of every point when nothing colours them. */
export const DEFAULT_COLOR = '#3b73b9';

/** Colour of rows whose value is missing, and of the "other" categories past the palette. */
export const MISSING_COLOR = '#9e9e9e';

/** Colour of a category a derived column marks as `neutral` (cluster "noise"): a lighter grey than missing. */
export const NEUTRAL_COLOR = '#bdbdbd';

// Viridis sampled at 9 even stops; interpolated linearly in between.
const VIRIDIS = [
  '#440154', '#472c7a', '#3b518b', '#2c718e', '#21908d', '#27ad81', '#5cc863', '#aadc32', '#fde725',
];

// Diverging (ColorBrewer RdBu ends, blue for negative): the middle is a mid grey, not white, so
// values near 0 stay visible on the day theme's white plot as on the night theme's dark one.
const DIVERGING = ['#2166ac', '#4393c3', '#92c5de', '#b8b8b8', '#f4a582', '#d6604d', '#b2182b'];

// Neighbours on a scale by distance, as TensorBoard does, strong = near: one hue (ColorBrewer
// Purples, dark to light), so no neighbour can be taken for the red selected point, and the order
// reads by lightness alone, also with a colour-vision deficiency. "Strong" is contrast with the
// plot: dark on the day theme's white, light on the night theme's dark background.
const NEIGHBOR_SCALE = {
  day: ['#3f007d', '#6a51a3', '#9e9ac8', '#c6c3e1'],
  night: ['#efedf5', '#cbc9e2', '#9e9ac8', '#6a51a3'],
};

/** '#rrggbb' -> [r, g, b] in 0..1. */
export function hexToRgb(hex) {
  const v = parseInt(hex.slice(1), 16);
  return [((v >> 16) & 255) / 255, ((v >> 8) & 255) / 255, (v & 255) / 255];
}

/** [r, g, b] in 0..1 -> '#rrggbb'. */
export function rgbToHex([r, g, b]) {
  const byte = (x) => Math.round(Math.min(1, Math.max(0, x)) * 255).toString(16).padStart(2, '0');
  return `#${byte(r)}${byte(g)}${byte(b)}`;
}

const VIRIDIS_RGB = VIRIDIS.map(hexToRgb);
const DIVERGING_RGB = DIVERGING.map(hexToRgb);
const NEIGHBOR_RGB = { day: NEIGHBOR_SCALE.day.map(hexToRgb), night: NEIGHBOR_SCALE.night.map(hexToRgb) };

function ramp(stops, t, out, offset) {
  const x = Math.min(1, Math.max(0, t)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(x));
  const f = x - i;
  const a = stops[i];
  const b = stops[i + 1];
  out[offset] = a[0] + (b[0] - a[0]) * f;
  out[offset + 1] = a[1] + (b[1] - a[1]) * f;
  out[offset + 2] = a[2] + (b[2] - a[2]) * f;
}

/** The sequential scale's colour at t in [0, 1], written into out[offset..offset+2]. */
export function sequentialColor(t, out, offset) {
  ramp(VIRIDIS_RGB, t, out, offset);
}

/** A neighbour's colour at t in [0, 1] (0 = nearest, strongest) in `theme`, written into out[offset..offset+2]. */
export function neighborColor(t, out, offset, theme = 'day') {
  ramp(NEIGHBOR_RGB[theme] ?? NEIGHBOR_RGB.day, t, out, offset);
}

/** '#rrggbb' of a neighbour at t in [0, 1] (0 = nearest) in `theme`. */
export function neighborHex(t, theme = 'day') {
  const c = [0, 0, 0];
  neighborColor(t, c, 0, theme);
  return rgbToHex(c);
}

/** Position of each neighbour on the distance scale: t = (d - nearest) / (farthest - nearest), all 0 when equal. */
export function neighborScale(neighbors) {
  let lo = Infinity;
  let hi = -Infinity;
  for (const { distance } of neighbors) {
    if (distance < lo) lo = distance;
    if (distance > hi) hi = distance;
  }
  const span = hi - lo;
  return neighbors.map(({ distance }) => (span > 0 ? (distance - lo) / span : 0));
}

/** CSS linear-gradient of a colour bar: the sequential scale, or the diverging one. */
export function scaleGradient(diverging = false) {
  return `linear-gradient(to right, ${(diverging ? DIVERGING : VIRIDIS).join(', ')})`;
}

/** Kept for callers of the old name: the sequential bar's gradient. */
export function sequentialGradient() {
  return scaleGradient(false);
}

/** A numeric column described by the server ({type, distinct}) that may be coloured by category. */
export function canBeCategorical(columnInfo) {
  return !!columnInfo && columnInfo.type === 'numeric' && columnInfo.distinct >= 1 && columnInfo.distinct <= MAX_CATEGORIES;
}

/** How a column described by the server ({type, distinct}) can colour: 'categorical' | 'sequential' | null. */
export function colorKind(columnInfo, categoricalNumeric = false) {
  if (!columnInfo) return null;
  if (columnInfo.type === 'numeric') return categoricalNumeric && canBeCategorical(columnInfo) ? 'categorical' : 'sequential';
  return columnInfo.distinct <= MAX_COLORABLE ? 'categorical' : null;
}

/** "Nice" tick values (1, 2 or 5 times a power of ten) covering [lo, hi], about `count` of them. */
export function niceTicks(lo, hi, count = 5) {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [];
  if (hi === lo) return [lo];
  const raw = (hi - lo) / Math.max(1, count);
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? 10 * power;
  const ticks = [];
  const first = Math.ceil(lo / step - 1e-9);
  const last = Math.floor(hi / step + 1e-9);
  // Multiply, never accumulate, so 0.1 + 0.2 style drift does not creep into the labels.
  for (let k = first; k <= last; k++) ticks.push(Number((k * step).toPrecision(12)));
  return ticks;
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

const NUMBER_LIKE = /^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/;

/** Legend order: entries that look like numbers first, in numeric order (0, 1, 2, … 10); the rest by count. */
function legendOrder(a, b) {
  const an = NUMBER_LIKE.test(a.value);
  const bn = NUMBER_LIKE.test(b.value);
  if (an && bn) return Number(a.value) - Number(b.value);
  if (an !== bn) return an ? -1 : 1;
  return b.count - a.count || a.value.localeCompare(b.value);
}

function categorical(values, neutral) {
  const counts = new Map();
  for (const v of values) {
    if (v === null || v === undefined || v === '') continue;
    counts.set(v, (counts.get(v) || 0) + 1);
  }
  // Most frequent first gets a colour, so past the palette's 50 the small groups become "other".
  const byCount = [...counts.entries()].sort((a, b) => b[1] - a[1] || String(a[0]).localeCompare(String(b[0])));
  const coloured = byCount.slice(0, MAX_CATEGORIES).map(([value, count]) => ({ value: String(value), raw: value, count }));
  coloured.sort(legendOrder);
  // The neutral value goes last and takes no palette colour, so the first colours go to real categories.
  const isNeutral = (entry) => neutral !== undefined && neutral !== null && entry.raw === neutral;
  coloured.sort((a, b) => isNeutral(a) - isNeutral(b));
  let paletteIndex = 0;
  const hexOf = coloured.map((entry) => (isNeutral(entry) ? NEUTRAL_COLOR : CATEGORICAL[paletteIndex++]));
  // Palette slots follow the legend order, so the strong first colours go to its first entries.
  const slotOfValue = new Map(coloured.map((entry, i) => [entry.raw, i]));
  const otherSlot = coloured.length;
  const missingSlot = coloured.length + 1;
  // One flat RGB table by slot (the palette's colours, then grey for "other" and for missing).
  const table = new Float32Array((missingSlot + 1) * 3);
  for (let s = 0; s <= missingSlot; s++) table.set(hexToRgb(s < otherSlot ? hexOf[s] : MISSING_COLOR), s * 3);
  const colors = new Float32Array(values.length * 3);
  const slots = new Uint16Array(values.length); // the legend entry of each row
  let otherCount = 0;
  let missingCount = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    let s = slotOfValue.get(v);
    if (s === undefined) {
      if (v === null || v === undefined || v === '') {
        s = missingSlot;
        missingCount++;
      } else {
        s = otherSlot;
        otherCount++;
      }
    }
    slots[i] = s;
    colors[i * 3] = table[s * 3];
    colors[i * 3 + 1] = table[s * 3 + 1];
    colors[i * 3 + 2] = table[s * 3 + 2];
  }
  const entries = coloured.map(({ value, count }, i) => ({ value, count, color: hexOf[i], slot: i }));
  if (otherCount) {
    const groups = byCount.length - coloured.length;
    entries.push({ value: `other (${groups} values)`, count: otherCount, color: MISSING_COLOR, slot: otherSlot, other: true });
  }
  if (missingCount) entries.push({ value: '(missing)', count: missingCount, color: MISSING_COLOR, slot: missingSlot, missing: true });
  return { colors, slots, legend: { kind: 'categorical', entries } };
}

function sequential(values) {
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (typeof v !== 'number' || !Number.isFinite(v)) continue;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const finite = min <= max;
  // Both signs: a diverging scale centred on 0 (tensorflow/tensorflow#10105), symmetric so that
  // equal magnitudes get equally strong colours.
  const diverging = finite && min < 0 && max > 0;
  const lo = diverging ? -Math.max(-min, max) : min;
  const hi = diverging ? -lo : max;
  const colors = new Float32Array(values.length * 3);
  const missing = hexToRgb(MISSING_COLOR);
  const span = hi > lo ? hi - lo : 1;
  const stops = diverging ? DIVERGING_RGB : VIRIDIS_RGB;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      colors[i * 3] = missing[0];
      colors[i * 3 + 1] = missing[1];
      colors[i * 3 + 2] = missing[2];
    } else ramp(stops, (v - lo) / span, colors, i * 3);
  }
  return {
    colors,
    slots: null,
    legend: {
      kind: 'sequential',
      diverging,
      min: finite ? min : null,
      max: finite ? max : null,
      // the bar's ends: the data's range, or ±the largest magnitude when diverging
      lo: finite ? lo : null,
      hi: finite ? hi : null,
    },
  };
}

/**
 * Colours for `n` rows coloured by `column` ({name, type, values}) or by nothing (column null):
 * {colors: Float32Array(n*3), slots: Uint16Array(n) (legend entry of each row) | null,
 *  legend: null | {kind: 'categorical', entries} | {kind: 'sequential', diverging, min, max, lo, hi}}.
 * `asCategories`: colour a numeric column by its distinct values (the "categorical" checkbox).
 * A column's optional `neutral` value (a derived column's "noise") is drawn in NEUTRAL_COLOR.
 */
export function colorRows(n, column, asCategories = false) {
  if (!column) return { colors: fill(n, DEFAULT_COLOR), slots: null, legend: null };
  const kind = column.type === 'numeric' && !asCategories ? 'sequential' : 'categorical';
  const result = kind === 'sequential' ? sequential(column.values) : categorical(column.values, column.neutral);
  result.legend.column = column.name;
  return result;
}

/** Dataset rows in legend entry `slot` of a categorical colouring. */
export function rowsOfSlot(coloring, slot) {
  const rows = [];
  const slots = coloring?.slots;
  if (!slots) return rows;
  for (let i = 0; i < slots.length; i++) if (slots[i] === slot) rows.push(i);
  return rows;
}
