// Follows one projection job: its status events, its intermediate coordinates (one snapshot
// request at a time, at most one every SNAPSHOT_INTERVAL_MS), and its final coordinates.
import * as api from './api.js';

/** Least time between two snapshot requests; about one scene animation, so points glide. */
export const SNAPSHOT_INTERVAL_MS = 250;

/**
 * Follow the job whose current status is `first`.
 * hooks: onStatus(status) on every status; onCoords({data, n, d}, seq) for a newer snapshot
 * (seq > 0) and for the final coordinates (seq 'final'); onError(err, fatal) when something
 * failed (fatal: the job can no longer be followed).
 * Returns {stop()}, after which no hook is called again.
 */
export function followJob(first, hooks) {
  const jobId = first.id;
  const abort = new AbortController();
  let stopped = false;
  let finished = false;
  let latest = first;
  let shownSeq = 0;
  let fetching = false;
  let timer = 0;
  let lastFetch = -Infinity;
  let closeStream = () => {};

  function stop() {
    stopped = true;
    closeStream();
    abort.abort();
    clearTimeout(timer);
  }

  function fail(err, fatal = false) {
    if (stopped || err?.name === 'AbortError') return;
    if (fatal) stop();
    hooks.onError(err, fatal);
  }

  function fetchSnapshot() {
    if (stopped || finished || fetching || timer || latest.status !== 'running' || latest.snapshot <= shownSeq) return;
    const wait = lastFetch + SNAPSHOT_INTERVAL_MS - performance.now();
    if (wait > 0) {
      timer = setTimeout(() => {
        timer = 0;
        fetchSnapshot();
      }, wait);
      return;
    }
    fetching = true;
    lastFetch = performance.now();
    api.getSnapshot(jobId, abort.signal)
      .then((snap) => {
        if (stopped || finished || snap.seq <= shownSeq) return;
        shownSeq = snap.seq;
        hooks.onCoords(snap, snap.seq);
      })
      .catch((err) => {
        // 404: the job finished (or was stopped) between its status and this request.
        if (err?.status !== 404) fail(err);
      })
      .finally(() => {
        fetching = false;
        fetchSnapshot();
      });
  }

  async function finish() {
    finished = true;
    closeStream();
    try {
      const coords = await api.getCoords(jobId);
      if (!stopped) hooks.onCoords(coords, 'final');
    } catch (err) {
      fail(err);
    }
  }

  function receive(status) {
    if (stopped || finished) return;
    latest = status;
    hooks.onStatus(status);
    if (status.status === 'done') finish();
    else if (api.TERMINAL.has(status.status)) {
      finished = true;
      closeStream();
    } else fetchSnapshot();
  }

  function lost() {
    // The event stream gave up (the server restarted or forgot the job): ask once more.
    api.getJob(jobId).then((status) => {
      receive(status);
      if (!finished) fail(new Error('Lost contact with the projection job; press Run to try again'), true);
    }, (err) => fail(err, true));
  }

  receive(first);
  if (!finished) closeStream = api.watchJob(jobId, { onStatus: receive, onLost: lost });
  return { stop };
}
