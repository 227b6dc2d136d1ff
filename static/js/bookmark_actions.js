// Bookmarks, like TensorBoard's: named states saved in a server-side collection, listed, restored
// in a click, deleted, and shared as one link (?bookmarks=<collection>). The collection in use is
// remembered per dataset in localStorage, so a reload (or a later visit) finds the list again.
import * as api from './api.js';
import { errorText } from './projection_runs.js';

const STORAGE_PREFIX = 'projector-bookmarks:';

function remembered(dataset) {
  try {
    return localStorage.getItem(STORAGE_PREFIX + dataset);
  } catch {
    return null; // storage disabled: the list lives in the URL only
  }
}

function remember(dataset, collection) {
  try {
    if (collection) localStorage.setItem(STORAGE_PREFIX + dataset, collection);
  } catch {
    // storage disabled or full: the URL still carries the collection
  }
}

/** Build the bookmark actions over `store`; `views` restores and checks states (view_actions.js). */
export function createBookmarkActions(store, views) {
  const state = () => store.get();
  let listToken = 0;

  function patch(p) {
    store.update({ bookmarks: { ...state().bookmarks, ...p } });
  }

  /** Show the bookmarks of `collection` (null = none); answers them. */
  async function openBookmarks(collection) {
    const token = ++listToken;
    const before = state().bookmarks;
    if (!collection) {
      patch({ collection: null, items: [], loading: false, error: null });
      return [];
    }
    patch({ collection, items: before.collection === collection ? before.items : [], loading: true, error: null });
    try {
      const items = await api.listBookmarks(collection);
      if (token === listToken) {
        patch({ items, loading: false });
        if (state().dataset && items.some((b) => b.dataset === state().dataset)) remember(state().dataset, collection);
      }
      return items;
    } catch (err) {
      if (token === listToken) patch({ loading: false, error: errorText(err) });
      return [];
    }
  }

  // Another dataset: keep a list that holds bookmarks of it (a shared list, a mixed one), else
  // show the list this browser used for it last time, if any.
  store.subscribe(['dataset'], ({ dataset, bookmarks }) => {
    if (!dataset) return;
    if (bookmarks.collection && (bookmarks.loading || bookmarks.items.some((b) => b.dataset === dataset))) return;
    const mine = remembered(dataset);
    if (mine !== bookmarks.collection) openBookmarks(mine);
  });

  return {
    openBookmarks,
    /** Save the current state as `name` (into the current list, or a new one). Answers true when saved. */
    async addBookmark(name) {
      const title = String(name ?? '').trim();
      if (!title) {
        patch({ error: 'Give the bookmark a name.' });
        return false;
      }
      const { view, error } = views.shareable();
      if (error) {
        patch({ error });
        return false;
      }
      const { collection } = state().bookmarks;
      patch({ saving: true, error: null });
      try {
        const saved = await api.addBookmark({ collection, name: title, state: view });
        const { bookmarks } = state();
        const items = bookmarks.collection === saved.collection ? [...bookmarks.items, saved] : [saved];
        listToken++; // a list still loading is older than this
        patch({ collection: saved.collection, items, saving: false, loading: false });
        remember(saved.dataset, saved.collection);
        return true;
      } catch (err) {
        patch({ saving: false, error: errorText(err) });
        return false;
      }
    },
    /** Restore bookmark `id` of the current list (a new history entry). */
    restoreBookmark(id) {
      const item = state().bookmarks.items.find((b) => b.id === id);
      return item ? views.restore(item.state, { history: 'push' }) : Promise.resolve();
    },
    /** Delete bookmark `id` from the current list. */
    async deleteBookmark(id) {
      const { collection } = state().bookmarks;
      if (!collection) return;
      try {
        await api.deleteBookmark(collection, id);
        patch({ items: state().bookmarks.items.filter((b) => b.id !== id), error: null });
      } catch (err) {
        patch({ error: errorText(err) });
      }
    },
    dismissBookmarkError() {
      if (state().bookmarks.error) patch({ error: null });
    },
  };
}
