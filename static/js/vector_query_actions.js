// Vector queries: the k nearest rows to an expression ("king - man + woman"), a pasted vector or the
// centroid of the selection (POST /api/datasets/{id}/neighbors). The answer becomes the selection
// (source 'query'), so the map highlights it; its list stays in store.vectorQuery.
import * as api from './api.js';

const QUERY_K = 10;
const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;
const NOT_FINITE = /^[-+]?(nan|inf|infinity)$/i;

/** A pasted vector when every comma/space-separated token is a number (or nan/inf), else null (an
 * expression): {vector} or, when a number is not finite, {error} naming its position. */
export function parseVector(text) {
  const tokens = text.trim().replace(/^\[|\]$/g, '').split(/[\s,]+/).filter(Boolean);
  if (tokens.length < 2 || !tokens.every((t) => NUMBER.test(t) || NOT_FINITE.test(t))) return null;
  const vector = tokens.map(Number);
  // JSON has no Infinity/NaN (they would be sent as null): refuse here, naming the number.
  const bad = vector.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) return { error: `the vector's number ${bad + 1} is '${tokens[bad]}': every number must be finite` };
  return { vector };
}

/** Actions that run a vector query and clear its answer. */
export function createVectorQueryActions(store, core) {
  const state = store.get;
  let abort = null;
  let loadedDataset = null;

  store.subscribe(['dataset'], ({ dataset }) => {
    if (dataset === loadedDataset) return;
    loadedDataset = dataset;
    abort?.abort();
    store.update({ vectorQuery: { text: '', kind: null, pending: false, answer: null, error: null } });
  });

  async function run(kind, body, text) {
    const { dataset, neighborParams, labelBy, metadata } = state();
    if (!dataset) return;
    abort?.abort();
    abort = new AbortController();
    const mine = abort;
    const full = { ...body, k: QUERY_K, metric: neighborParams.metric };
    // Terms are looked up in the column the map is labelled by (a metadata column, not a derived one).
    if (kind === 'expression' && metadata?.columns?.some((c) => c.name === labelBy)) full.column = labelBy;
    store.update({ vectorQuery: { text, kind, pending: true, answer: null, error: null } });
    try {
      const answer = await api.queryNeighbors(dataset, full, mine.signal);
      if (mine !== abort) return;
      store.update({ vectorQuery: { text, kind, pending: false, answer, error: null } });
      core.selectRows(answer.neighbors.map((nb) => nb.row).sort((a, b) => a - b), 'replace', 'query');
    } catch (err) {
      if (mine !== abort || err?.name === 'AbortError') return;
      store.update({ vectorQuery: { text, kind, pending: false, answer: null, error: err.message } });
    }
  }

  return {
    /** Query by the text typed: a pasted vector when it is all numbers, else an expression over labels. */
    queryText(text) {
      const pasted = parseVector(text);
      if (pasted?.error) {
        abort?.abort();
        store.update({ vectorQuery: { text, kind: 'vector', pending: false, answer: null, error: pasted.error } });
      } else if (pasted) run('vector', { vector: pasted.vector }, text);
      else run('expression', { expression: text }, text);
    },
    /** The k nearest rows to the centroid of the selected points. */
    queryCentroid() {
      const rows = state().selection;
      if (rows.length) run('rows', { rows: [...rows] }, `centroid of ${rows.length} selected`);
    },
  };
}
