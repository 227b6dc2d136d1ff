// The page talks back to Python: a page opened with ?live=<id> (ep.show()'s frame) PUTs its view
// state to /api/live/<id> as it changes, and Projector.view() / .selection read it there.
import * as api from './api.js';
import { changedFields, viewStateOf } from './view_state.js';
import { STORE_KEYS } from './url_sync.js';

// Quiet time before a report: a drag or a typed search is one PUT, yet Python sees it promptly.
const DEBOUNCE_MS = 300;

/** The ?live= id of address query `search` ('' when there is none). */
export function liveIdOf(search) {
  return new URLSearchParams(search).get('live') || '';
}

/**
 * Report the view state to the live id the page's address names, read once now (url_sync rewrites
 * the address later); answers that id, '' (and does nothing) when there is none.
 */
export function startLiveSync(store) {
  const id = liveIdOf(window.location.search);
  if (!id) return '';
  let sent = null; // the ViewState the server holds from this page
  let dataset = null; // the live state's dataset: the one of the first accepted PUT
  let timer = 0;
  let inFlight = false;
  let again = false; // the state changed while a PUT was in flight
  let unsubscribe = null;

  async function report() {
    timer = 0;
    if (inFlight) {
      again = true;
      return;
    }
    const s = store.get();
    if (s.restoring || s.phase !== 'ready') return;
    // While a run's snapshots are on screen the report keeps the last finished projection.
    const view = viewStateOf(s, sent);
    // The server refuses another dataset's state (400): a page switched to one waits to come back.
    if (!view || (dataset && view.dataset !== dataset)) return;
    if (sent && changedFields(sent, view).length === 0) return;
    inFlight = true;
    try {
      await api.putLiveState(id, view);
      sent = view;
      dataset = view.dataset;
    } catch (err) {
      if (err.status === 404) {
        unsubscribe();
        clearTimeout(timer);
        console.warn(`live state ${id} is gone (expired or unknown); the page stops reporting its view`);
        return;
      }
      console.warn('the view could not be reported to the live state; will try at the next change', err);
    } finally {
      inFlight = false;
    }
    if (again) {
      again = false;
      report();
    }
  }

  unsubscribe = store.subscribe(STORE_KEYS, () => {
    clearTimeout(timer);
    timer = setTimeout(report, DEBOUNCE_MS);
  });
  return id;
}
