// Bookmarks, like TensorBoard's: named states saved in a server-side collection, listed, restored
// in a click, deleted, and shared as one link (?bookmarks=<collection>). The collection in use is
// remembered per dataset in localStorage, so a reload (or a later visit) finds the list again.
// The link only reads: adding and deleting need the collection's edit key, which the server
// answers once, to the browser that created the list, and which is kept here in localStorage
// (or the write token). Without either, store.bookmarks.writable is false and the list read-only.
import * as api from './api.js';
import { errorText } from './projection_runs.js';
import { saveBlob } from './download.js';

const STORAGE_PREFIX = 'projector-bookmarks:';
const KEY_PREFIX = 'projector-bookmark-key:';
export const READ_ONLY_TEXT = 'This shared list is read-only: only the browser that made it (or the write token) can add or delete.';

/** The edit key this browser keeps for `collection`, or null. */
function editKeyOf(collection) {
  try {
    return localStorage.getItem(KEY_PREFIX + collection);
  } catch {
    return null;
  }
}

function keepEditKey(collection, key) {
  try {
    localStorage.setItem(KEY_PREFIX + collection, key);
  } catch {
    // storage disabled or full: the list stays editable in this tab only (the key is in memory)
  }
}

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
  const keysInMemory = new Map(); // for when localStorage refuses to keep them

  const keyOf = (collection) => keysInMemory.get(collection) ?? editKeyOf(collection);

  function patch(p) {
    store.update({ bookmarks: { ...state().bookmarks, ...p } });
  }

  /** Show the bookmarks of `collection` (null = none); answers them. */
  async function openBookmarks(collection) {
    const token = ++listToken;
    const before = state().bookmarks;
    if (!collection) {
      patch({ collection: null, items: [], loading: false, error: null, writable: true });
      return [];
    }
    const same = before.collection === collection;
    // Until the server answers: editable if this browser holds the key or a token.
    const guess = same ? before.writable !== false : !!keyOf(collection) || !!api.getToken();
    patch({ collection, items: same ? before.items : [], loading: true, error: null, writable: guess });
    try {
      const { items, canEdit } = await api.listBookmarks(collection, keyOf(collection));
      if (token === listToken) {
        patch({ items, loading: false, writable: canEdit });
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
  // A dataset imported with its config's TensorBoard bookmarks file opens on that list, unless this
  // browser already shows or remembers one for it.
  store.subscribe(['info'], ({ info, dataset, bookmarks }) => {
    if (!info || info.id !== dataset || !info.bookmarks || remembered(dataset)) return;
    if (bookmarks.collection && (bookmarks.loading || bookmarks.items.some((b) => b.dataset === dataset))) return;
    openBookmarks(info.bookmarks);
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
      const { collection, writable } = state().bookmarks;
      if (collection && writable === false) {
        patch({ error: READ_ONLY_TEXT });
        return false;
      }
      patch({ saving: true, error: null });
      try {
        const saved = await api.addBookmark({ collection, name: title, state: view }, collection ? keyOf(collection) : null);
        if (saved.edit_key) {
          keysInMemory.set(saved.collection, saved.edit_key);
          keepEditKey(saved.collection, saved.edit_key);
        }
        const { edit_key: _key, ...bookmark } = saved;
        const { bookmarks } = state();
        const items = bookmarks.collection === saved.collection ? [...bookmarks.items, bookmark] : [bookmark];
        listToken++; // a list still loading is older than this
        patch({ collection: saved.collection, items, saving: false, loading: false, writable: true });
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
      const { collection, writable } = state().bookmarks;
      if (!collection || writable === false) return;
      try {
        await api.deleteBookmark(collection, id, keyOf(collection));
        patch({ items: state().bookmarks.items.filter((b) => b.id !== id), error: null });
      } catch (err) {
        patch({ error: errorText(err) });
      }
    },
    /** Import a TensorBoard bookmarks file (a File) as a new list of the current dataset's bookmarks. */
    async loadBookmarksFile(file) {
      const { dataset } = state();
      if (!dataset || !file) return false;
      patch({ saving: true, error: null });
      try {
        const made = await api.importTensorBoardBookmarks(dataset, file);
        keysInMemory.set(made.collection, made.edit_key);
        keepEditKey(made.collection, made.edit_key);
        listToken++; // a list still loading is older than this one
        patch({ collection: made.collection, items: made.items, saving: false, loading: false, writable: true });
        remember(dataset, made.collection);
        return true;
      } catch (err) {
        patch({ saving: false, error: errorText(err) }); // the server's message names the file
        return false;
      }
    },
    /** Download the current list's bookmarks of this dataset as a TensorBoard bookmarks file. */
    async saveBookmarksFile() {
      const { bookmarks, dataset } = state();
      if (!bookmarks.collection) return;
      try {
        const { blob, filename } = await api.exportTensorBoardBookmarks(bookmarks.collection, dataset);
        saveBlob(blob, filename);
      } catch (err) {
        patch({ error: errorText(err) });
      }
    },
    dismissBookmarkError() {
      if (state().bookmarks.error) patch({ error: null });
    },
  };
}
