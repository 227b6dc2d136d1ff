// The projection forms: their default values (kept as typed, strings) and how they become the
// request's "params", with a message instead of a request when a field cannot be read.
import { defaultLabelColumn } from './metadata.js';

/** Tab order and display names of the projection methods. */
export const METHOD_NAMES = Object.freeze({ pca: 'PCA', tsne: 't-SNE', umap: 'UMAP', custom: 'Custom' });

/** The forms' starting values; numbers stay strings until Run so that typing is never fought. */
export function defaultParams() {
  return {
    pca: { mode: '3d' },
    tsne: { dimensions: '2', perplexity: '30', learning_rate: 'auto', iterations: '750', seed: '0' },
    umap: { dimensions: '2', n_neighbors: '15', min_dist: '0.1', metric: 'cosine', seed: '' },
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
    };
  },
  umap: (f) => ({
    dimensions: Number(f.dimensions) === 3 ? 3 : 2,
    n_neighbors: number(f, 'n_neighbors', 'Neighbors', { integer: true }),
    min_dist: number(f, 'min_dist', 'Min distance'),
    metric: f.metric === 'euclidean' ? 'euclidean' : 'cosine',
    seed: number(f, 'seed', 'Seed', { integer: true, optional: true }),
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
