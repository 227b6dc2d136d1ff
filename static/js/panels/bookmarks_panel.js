// Bookmarks, like TensorBoard's: "+ Add" names and saves the current view, the list restores one
// in a click, × deletes one, and "Share list" gives a link to the whole list. Names are text only.
// A list opened from someone else's link is read-only: no ×, "+ Add" disabled, and a line says why.
// "Load bookmarks file" reads a TensorBoard bookmarks file into a new list; "Save bookmarks file"
// downloads the list's bookmarks of this dataset as one.
import { READ_ONLY_TEXT } from '../bookmark_actions.js';
import { byId, el } from '../dom.js';
import { bindLinkBox } from './link_box.js';

/** The link that opens the page with bookmark list `collection` in this panel. */
export function bookmarksLink(collection) {
  return `${window.location.origin}/?bookmarks=${encodeURIComponent(collection)}`;
}

/** Wire the Bookmarks panel to store.bookmarks and the bookmark actions. */
export function mountBookmarksPanel(store, actions) {
  const form = byId('bookmark-form');
  const name = byId('bookmark-name');
  const save = byId('bookmark-save');
  const shareButton = byId('bookmarks-share');
  const shareBox = byId('bookmarks-share-box');
  const link = byId('bookmarks-link');
  const message = byId('bookmarks-message');
  const empty = byId('bookmarks-empty');
  const list = byId('bookmark-list');
  const count = byId('bookmarks-count');
  const add = byId('bookmark-add');
  const load = byId('bookmarks-load');
  const download = byId('bookmarks-download');
  const fileInput = byId('bookmarks-file');
  const readOnlyLine = el('div', { id: 'bookmarks-readonly', className: 'hint', hidden: true }, READ_ONLY_TEXT);
  message.before(readOnlyLine);

  function item(bookmark, dataset, readOnly) {
    const other = bookmark.dataset !== dataset;
    return el(
      'li',
      { className: 'bookmark-item', dataset: { id: bookmark.id } },
      el(
        'button',
        { type: 'button', className: 'bookmark-restore', onclick: () => actions.restoreBookmark(bookmark.id) },
        el('span', { className: 'bookmark-name' }, bookmark.name),
        other ? el('span', { className: 'bookmark-dataset' }, bookmark.dataset) : null,
      ),
      readOnly ? null : el(
        'button',
        { type: 'button', className: 'icon-button bookmark-delete', attrs: { 'aria-label': `Delete bookmark ${bookmark.name}` },
          onclick: () => actions.deleteBookmark(bookmark.id) },
        '×',
      ),
    );
  }

  function render({ bookmarks, dataset }) {
    const n = bookmarks.items.length;
    const readOnly = !!bookmarks.collection && bookmarks.writable === false;
    count.textContent = n ? String(n) : '';
    list.replaceChildren(...bookmarks.items.map((b) => item(b, dataset, readOnly)));
    empty.hidden = n > 0;
    empty.textContent = bookmarks.loading
      ? 'Loading bookmarks…'
      : readOnly ? 'This list is empty.' : 'No bookmarks yet: “+ Add” saves the current view.';
    readOnlyLine.hidden = !readOnly;
    add.disabled = readOnly;
    add.title = readOnly ? READ_ONLY_TEXT : 'Save the current view as a bookmark';
    if (readOnly) form.hidden = true;
    shareButton.disabled = !bookmarks.collection || n === 0;
    download.disabled = !bookmarks.collection || !bookmarks.items.some((b) => b.dataset === dataset);
    load.disabled = !dataset || bookmarks.saving;
    save.disabled = bookmarks.saving;
    message.hidden = !bookmarks.error;
    message.textContent = bookmarks.error ?? '';
    link.value = bookmarks.collection ? bookmarksLink(bookmarks.collection) : '';
    if (!bookmarks.collection || n === 0) shareBox.hidden = true;
  }

  function closeForm() {
    form.hidden = true;
    actions.dismissBookmarkError();
  }

  add.addEventListener('click', () => {
    form.hidden = false;
    name.value = `State ${store.get().bookmarks.items.length + 1}`;
    name.focus();
    name.select();
  });
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (await actions.addBookmark(name.value)) form.hidden = true;
  });
  byId('bookmark-cancel').addEventListener('click', closeForm);
  name.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') closeForm();
  });
  shareButton.addEventListener('click', () => {
    shareBox.hidden = !shareBox.hidden;
    if (!shareBox.hidden) link.select();
  });
  bindLinkBox(link, byId('bookmarks-copy'));
  load.addEventListener('click', () => fileInput.click());
  fileInput.addEventListener('change', async () => {
    const [file] = fileInput.files;
    if (file) await actions.loadBookmarksFile(file);
    fileInput.value = ''; // the same file may be loaded again
  });
  download.addEventListener('click', () => actions.saveBookmarksFile());

  store.subscribe(['bookmarks', 'dataset'], render);
  render(store.get());
}
