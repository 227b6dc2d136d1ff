// Projection runs (t-SNE, UMAP, Custom): start a job, follow it, keep its snapshots and its result
// per (dataset, isolated rows, method, sphereize, dimensionality) in the store, and stop it.
import * as api from './api.js';
import { ApiError } from './api.js';
import { followJob } from './job_follower.js';
import { requestParams } from './projection_params.js';
import { formDimensions, resultKey, sphereized, viewKey } from './results.js';

/** An error as one line of text for the page (the server's message, plus its position if any). */
export function errorText(err) {
  const extra = err instanceof ApiError ? err.extraWhere : '';
  let text = String(err?.message || err);
  if (err?.status === 401 || err?.status === 403) text += ' (set it with “Token” in the top bar)';
  return extra ? `${text} (${extra})` : text;
}

/** Whether a run is starting, queued or running. */
export function isActive(run) {
  return !!run && (run.starting || (!!run.job && !api.TERMINAL.has(run.job.status)));
}

/**
 * Create the run actions over `store`; show() puts the current tab's result on screen.
 * A run lives in store.runs[key] = {meta, job: JobStatus|null, cancelKey, starting, error, receivedAt};
 * cancelKey is the key the start answered this tab, which Stop sends.
 */
export function createRuns(store, show) {
  const followers = new Map(); // result key -> {stop()}
  const state = () => store.get();

  function patchRun(key, patch) {
    const { runs } = state();
    store.update({ runs: { ...runs, [key]: { ...runs[key], ...patch } } });
  }

  function putResult(key, result) {
    store.update({ results: { ...state().results, [key]: result } });
    show();
  }

  function unfollow(key) {
    followers.get(key)?.stop();
    followers.delete(key);
  }

  function follow(key, meta, job) {
    unfollow(key);
    // One rows array per run: the scene keeps its row mapping while the snapshots come in.
    const rows = meta.rows ? Int32Array.from(meta.rows) : null;
    let done = null; // the "done" status, shown once its coordinates are on screen, not before
    const follower = followJob(job, {
      onStatus(status) {
        if (status.status === 'done') {
          done = status;
          return;
        }
        const error = status.status === 'failed' ? status.error || 'The projection failed' : null;
        patchRun(key, { job: status, receivedAt: performance.now(), error });
      },
      onCoords({ data, n, d }, seq) {
        const coords = { data, n, d, rows, job: job.id, key, view: meta.view, method: meta.method, seq };
        putResult(key, { coords, final: seq === 'final' });
        if (seq === 'final' && done) patchRun(key, { job: done, receivedAt: performance.now(), error: null });
      },
      onError(err, fatal) {
        const { job: last } = state().runs[key] ?? {};
        // A job that can no longer be followed counts as failed, so that Run works again.
        const patch = fatal && last ? { job: { ...last, status: 'failed' } } : {};
        patchRun(key, { ...patch, error: errorText(err) });
      },
    });
    followers.set(key, follower);
  }

  return {
    /** Start `method` with its form's parameters on the current dataset and isolated rows. */
    async run(method) {
      const s = state();
      if (!s.dataset) return;
      const sphereize = sphereized(s);
      const key = resultKey(s.dataset, method, s.isolated, sphereize, formDimensions(s, method));
      if (isActive(s.runs[key])) return; // Stop first: one run per method, dimensionality and set of points
      const { params, error } = requestParams(method, s.params[method], s.info?.columns);
      if (error) {
        patchRun(key, { error, starting: false });
        return;
      }
      unfollow(key);
      const meta = { method, rows: s.isolated, view: viewKey(s.dataset, s.isolated), dataset: s.dataset };
      patchRun(key, { meta, job: null, cancelKey: null, error: null, starting: true, receivedAt: performance.now() });
      try {
        const job = await api.createProjection(s.dataset, api.projectionBody(method, params, s.isolated, sphereize));
        patchRun(key, { starting: false, cancelKey: job.cancel_key ?? null });
        if (state().dataset === meta.dataset) follow(key, meta, job);
      } catch (err) {
        patchRun(key, { starting: false, error: errorText(err) });
      }
    },

    /** Cancel the current run of `method` (the server kills its worker); its last snapshot stays. */
    async stop(method) {
      const s = state();
      const key = resultKey(s.dataset, method, s.isolated, sphereized(s), formDimensions(s, method));
      const run = s.runs[key];
      if (!run?.job || api.TERMINAL.has(run.job.status)) return;
      unfollow(key);
      patchRun(key, { job: { ...run.job, status: 'cancelled', queue_position: null } });
      try {
        const status = await api.cancelJob(run.job.id, run.cancelKey);
        if (status.status === 'done') follow(key, run.meta, status); // it finished first: show it
        // Still queued or running: other clients asked for it too; for this tab it is stopped.
        else if (!api.TERMINAL.has(status.status)) patchRun(key, { job: { ...status, status: 'cancelled', queue_position: null }, receivedAt: performance.now() });
        else patchRun(key, { job: status, receivedAt: performance.now() });
      } catch (err) {
        patchRun(key, { error: errorText(err) });
      }
    },

    /** Follow job status `job` (started elsewhere: a link or ep.show named it before it finished) as a run of `meta`. */
    attach(key, meta, job) {
      unfollow(key);
      patchRun(key, { meta, job, cancelKey: null, error: null, starting: false, receivedAt: performance.now() });
      follow(key, meta, job);
    },

    /** Stop following the runs of other datasets (their server jobs go on; Run reattaches). */
    detach(dataset) {
      const { runs } = state();
      const kept = {};
      for (const [key, run] of Object.entries(runs)) {
        if (run.meta?.dataset === dataset) kept[key] = run;
        else unfollow(key);
      }
      store.update({ runs: kept });
    },
  };
}
