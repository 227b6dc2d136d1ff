// View state <-> address bar. The address always mirrors the shareable state (view_state.js has
// the format), so copying it shares the view. Meaningful changes push a history entry (Back undoes
// them); camera moves and the bookmark list only replace the current one. popstate restores the
// entry's state through the actions, without pushing.
import * as api from './api.js';
import { changedFields, readQuery, toQuery, viewStateOf } from './view_state.js';

// A link longer than this is stored as a view (POST /api/views) and the address becomes
// ?view=<id>[&camera=...]. Browsers take 2 MB URLs, but servers, proxies and chat apps cut or
// refuse request lines past about 8 KB (nginx's and Apache's defaults), and a big selection or
// isolated set lists thousands of rows.
export const MAX_URL_LENGTH = 8000;

// Changes of the same fields this close together are one step (typing a search, a slider).
const COALESCE_MS = 1000;

/** The store keys whose changes can change the ViewState (live_sync.js listens to the same). */
export const STORE_KEYS = [
  'dataset', 'coords', 'projection', 'colorBy', 'labelBy', 'selection', 'isolated',
  'search', 'neighborParams', 'camera', 'phase', 'restoring', 'bookmarks', 'editVersion', 'editLatest',
  'compare',
  'clusters',
];

/**
 * Open what the page's address names, then keep the address in step with `store`. `live` (a
 * live_sync.js id) stays in every address written, so a reload keeps reporting to Python.
 */
export function startUrlSync(store, actions, { viewId = '', live = '' } = {}) {
  let written = null; // the ViewState the current history entry shows
  let writtenList = null; // ... and its bookmark collection
  let carry = null; // 'push' | 'replace' owed by a write that a newer one overtook
  let nextMode = 'replace'; // the first write names the page's own entry
  let lastPush = { fields: '', at: -Infinity };
  let stored = null; // {key, id}: the stored view behind a long address, reused while only the camera moves
  let opened = null; // {id, view}: the stored view this page opened, reused while the state matches it
  let timer = 0;
  let seq = 0;

  const withLive = (query) => (live ? `${query}&live=${encodeURIComponent(live)}` : query);

  async function urlFor(view, list) {
    const query = withLive(toQuery(view, { bookmarks: list }));
    if (window.location.origin.length + 1 + query.length <= MAX_URL_LENGTH) return `/${query}`;
    const body = { ...view, camera: null };
    const key = JSON.stringify(body);
    if (stored?.key !== key && opened && changedFields(opened.view, view).every((f) => f === 'camera')) {
      stored = { key, id: opened.id }; // the link this page came from already names this view
    }
    if (stored?.key !== key) {
      try {
        stored = { key, id: (await api.createView(body)).id };
      } catch (err) {
        console.warn('the long address could not be stored as a view; keeping it', err);
        return `/${query}`;
      }
    }
    return `/${withLive(toQuery(view, { viewId: stored.id, bookmarks: list }))}`;
  }

  async function write() {
    timer = 0;
    const s = store.get();
    if (s.restoring || s.phase !== 'ready') return;
    // While a run's snapshots are on screen the address keeps the last finished projection.
    const view = viewStateOf(s, written);
    if (!view) return;
    const list = s.bookmarks.collection;
    const fields = changedFields(written, view);
    if (fields.length === 0 && list === writtenList && !nextMode) return;
    const meaningful = fields.filter((f) => f !== 'camera').join();
    // Only a change of the view makes a step; the camera and the bookmark list ride along.
    let mode = meaningful && nextMode !== 'replace' ? 'push' : 'replace';
    const now = performance.now();
    if (mode === 'push' && !nextMode && meaningful === lastPush.fields && now - lastPush.at < COALESCE_MS) mode = 'replace';
    if (carry === 'push') mode = 'push';
    if (mode === 'push') lastPush = { fields: meaningful, at: now };
    nextMode = null;
    written = view;
    writtenList = list;
    const token = ++seq;
    carry = mode;
    const url = await urlFor(view, list);
    if (token !== seq) return; // a newer state was written meanwhile; it owes our push
    carry = null;
    if (mode === 'push') history.pushState({ view }, '', url);
    else history.replaceState({ view }, '', url);
  }

  function schedule() {
    // One write per burst of store updates (an action often makes several), after the next frame:
    // encoding a 365k-row lasso selection takes ~100 ms, which must not delay drawing it.
    if (timer) return;
    timer = -1;
    const later = () => { timer = setTimeout(write, 0); };
    if (document.hidden) later();
    else requestAnimationFrame(later);
  }

  store.subscribe(STORE_KEYS, (s, changed) => {
    if (changed.includes('restoring') && s.restoring) nextMode = s.restoring.history;
    schedule();
  });

  async function restoreFrom(query, history) {
    let view = query.state;
    const id = viewId || query.viewId;
    if (id) {
      try {
        view = await api.getView(id);
        opened = { id, view };
        if (query.camera) view = { ...view, camera: query.camera };
      } catch (err) {
        console.warn(err);
        store.update({ status: { busy: false, message: '', error: `Shared view “${id}”: ${err.message}` } });
        view = null;
      }
    }
    return view ? actions.restore(view, { history }) : null;
  }

  window.addEventListener('popstate', (event) => {
    const view = event.state?.view;
    viewId = ''; // /v/<id> is only the first entry's address
    seq++; // a write still storing a long address must not land on the entry we moved to
    carry = null;
    nextMode = 'replace';
    if (view) actions.restore(view, { history: 'replace' });
    else restoreFrom(readQuery(window.location.search), 'replace');
  });

  /** Open the page's own address: a stored view, a query, a bookmark list, or the default dataset. */
  return (async function open() {
    const query = readQuery(window.location.search);
    const list = query.bookmarks ? actions.openBookmarks(query.bookmarks) : null;
    if (viewId || query.viewId || query.state) {
      const restored = await restoreFrom(query, 'replace');
      viewId = '';
      if (restored !== null) return;
    }
    const items = list ? await list : [];
    // A shared bookmark list alone opens the dataset of its first bookmark.
    await actions.init(items[0]?.dataset ?? null);
  })();
}
