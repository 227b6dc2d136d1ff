// The diagnostics job (hubness, sparsity, near-duplicates from the k-NN graph): start it over all
// rows, follow its progress, then add the derived columns "hubness" and "sparsity".
import * as api from './api.js';
import { spreadOverRows } from './derived_columns.js';

const IDLE = { status: null, progress: 0, job: null, extras: null, error: null };

/** Actions that compute the diagnostics and choose how their list is sorted. */
export function createDiagnosticsActions(store, derived) {
  const state = store.get;
  let closeWatch = () => {};
  let token = 0;
  let loadedDataset = null;

  store.subscribe(['dataset'], ({ dataset }) => {
    if (dataset === loadedDataset) return;
    loadedDataset = dataset;
    token += 1;
    closeWatch();
    store.update({ diagnostics: IDLE });
  });

  async function finish(mine, status) {
    const [hubness, sparsity] = await Promise.all([
      api.getResultArray(status.id, 'hubness'), api.getResultArray(status.id, 'sparsity'),
    ]);
    if (mine !== token) return;
    const n = state().info.n;
    derived.setDerivedColumn({ name: 'hubness', type: 'numeric', values: spreadOverRows(n, hubness.data, null), source: 'diagnostics' });
    derived.setDerivedColumn({ name: 'sparsity', type: 'numeric', values: spreadOverRows(n, sparsity.data, null), source: 'diagnostics' });
    store.update({ diagnostics: { status: 'done', progress: 1, job: status.id, extras: status.extras, error: null } });
  }

  return {
    /** Start the diagnostics job over all rows, with the Inspector's distance metric, k and the duplicate threshold. */
    async computeDiagnostics({ k = 10, duplicateThreshold = 1e-6 } = {}) {
      const { dataset, neighborParams } = state();
      if (!dataset) return;
      token += 1;
      const mine = token;
      closeWatch();
      store.update({ diagnostics: { ...IDLE, status: 'starting' } });
      const fail = (err) => {
        if (mine === token) store.update({ diagnostics: { ...IDLE, status: 'failed', error: err.message || String(err) } });
      };
      try {
        const body = api.projectionBody('diagnostics', { k, metric: neighborParams.metric, duplicate_threshold: duplicateThreshold }, null);
        const first = await api.createProjection(dataset, body);
        if (mine !== token) return;
        const receive = (status) => {
          if (mine !== token) return;
          if (status.status === 'done') finish(mine, status).catch(fail);
          else if (api.TERMINAL.has(status.status)) fail(new Error(status.error || `the diagnostics job ${status.status}`));
          else store.update({ diagnostics: { ...IDLE, status: status.status, progress: status.progress, job: status.id } });
        };
        receive(first);
        if (!api.TERMINAL.has(first.status)) {
          closeWatch = api.watchJob(first.id, {
            onStatus: receive,
            onLost: () => api.getJob(first.id).then(receive, fail),
          });
        }
      } catch (err) {
        fail(err);
      }
    },
    /** Sort the diagnostics list by 'hubness' (most-listed first) or 'sparsity' (most isolated first). */
    setDiagnosticsSort(key) {
      store.update({ diagnosticsSort: key === 'sparsity' ? 'sparsity' : 'hubness' });
    },
  };
}
