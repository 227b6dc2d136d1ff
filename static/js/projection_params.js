// The projection forms: their default values (kept as typed, strings) and how they become the
// request's "params", with a message instead of a request when a field cannot be read.
import { defaultLabelColumn } from './metadata.js';

// As the server's projections/pca_first.py: unset, 50 components above 100 dimensions, else off.
const PCA_DEFAULT_DIMS = 50;
const PCA_AUTO_ABOVE = 100;

/** Tab order and display names of the projection methods. */
export const METHOD_NAMES = Object.freeze({ pca: 'PCA', tsne: 't-SNE', umap: 'UMAP', custom: 'Custom' });

/** The forms' starting values; numbers stay strings until Run so that typing is never fought. */
export function defaultParams() {
  return {
    pca: { mode: '3d' },
    // supervise_column '' is "none"; the weight/factor is sent only with a column.
    tsne: { dimensions: '2', perplexity: '30', learning_rate: 'auto', iterations: '750', seed: '0', pca_dims: '', sample: '', supervise_column: '', supervise_factor: '0.5' },
    umap: { dimensions: '2', n_neighbors: '15', min_dist: '0.1', metric: 'cosine', seed: '', pca_dims: '', sample: '', supervise_column: '', target_weight: '0.5' },
    custom: { column: null, regex: false, left: '', right: '', up: '', down: '' },
    given: { source: null }, // the Given tab's layout (a DatasetInfo.given source); null = the first
  };
}

function number(form, name, label, { integer = false, optional = false } = {}) {
  const text = String(form[name] ?? '').trim();
  if (text === '') {
    if (optional) return null;
    throw new Error(`${label}: enter a number`);
  }
  const value = Number(text);
  if (!Number.isFinite(value)) throw new Error(`${label}: “${text}” is not a number`);
  if (integer && !Number.isInteger(value)) throw new Error(`${label}: enter a whole number`);
  return value;
}

/** A supervised run's params: the label column and its weight in [0, 1]; none without a column. */
function supervision(form, weight, label) {
  const column = String(form.supervise_column ?? '');
  if (!column) return {};
  const value = number(form, weight, label);
  if (value < 0 || value > 1) throw new Error(`${label}: enter a number from 0 to 1`);
  return { supervise_column: column, [weight]: value };
}

/** The PCA-first dimensions: null (empty field) lets the server decide from the dataset's dimension. */
function pcaDims(form) {
  const value = number(form, 'pca_dims', 'PCA first', { integer: true, optional: true });
  if (value !== null && (value < 0 || value > 512)) throw new Error('PCA first: enter 0 (off) to 512 components');
  return value;
}

/** {sample: rows} to fit on a sample and place the rest; {} (all rows) when the field is empty. */
function sample(form) {
  const value = number(form, 'sample', 'Sample', { integer: true, optional: true });
  if (value === null) return {};
  if (value < 100) throw new Error('Sample: enter at least 100 rows, or leave it empty for all rows');
  return { sample: value };
}

/** What "PCA first" does to vectors of `dim` dimensions with the form's value: the text under the field. */
export function pcaFirstHint(value, dim) {
  const text = String(value ?? '').trim();
  if (!Number.isInteger(dim)) return '';
  const dims = text === '' ? (dim > PCA_AUTO_ABOVE ? PCA_DEFAULT_DIMS : 0) : Number(text);
  const how = text === '' ? 'auto: ' : '';
  if (!Number.isInteger(dims) || dims <= 0 || dims >= dim) return `${how}off, the layout uses all ${dim} dimensions`;
  return `${how}${dim} dimensions → ${dims} principal components, then the layout`;
}

/** The column the Custom tab matches against: the chosen one, else the first text column. */
export function customColumn(form, columns) {
  if (form.column && columns?.some((c) => c.name === form.column)) return form.column;
  return defaultLabelColumn(columns);
}

const BUILDERS = {
  tsne: (f) => {
    const rate = String(f.learning_rate ?? '').trim();
    return {
      dimensions: Number(f.dimensions) === 3 ? 3 : 2,
      perplexity: number(f, 'perplexity', 'Perplexity'),
      learning_rate: rate === '' || rate.toLowerCase() === 'auto' ? 'auto' : number(f, 'learning_rate', 'Learning rate'),
      iterations: number(f, 'iterations', 'Iterations', { integer: true }),
      seed: number(f, 'seed', 'Seed', { integer: true }),
      pca_dims: pcaDims(f),
      ...sample(f),
      ...supervision(f, 'supervise_factor', 'Supervision factor'),
    };
  },
  umap: (f) => ({
    dimensions: Number(f.dimensions) === 3 ? 3 : 2,
    n_neighbors: number(f, 'n_neighbors', 'Neighbors', { integer: true }),
    min_dist: number(f, 'min_dist', 'Min distance'),
    metric: f.metric === 'euclidean' ? 'euclidean' : 'cosine',
    seed: number(f, 'seed', 'Seed', { integer: true, optional: true }),
    pca_dims: pcaDims(f),
    ...sample(f),
    ...supervision(f, 'target_weight', 'Supervision weight'),
  }),
  custom: (f, columns) => {
    const left = String(f.left ?? '');
    const right = String(f.right ?? '');
    if (!left.trim() || !right.trim()) throw new Error('Enter a Left and a Right pattern');
    return { column: customColumn(f, columns), regex: !!f.regex, left, right, up: String(f.up ?? ''), down: String(f.down ?? '') };
  },
};

/** The request params of `method` from its form values: {params} or {error: message}. */
export function requestParams(method, form, columns) {
  try {
    return { params: BUILDERS[method](form, columns), error: null };
  } catch (err) {
    return { params: null, error: err.message };
  }
}
