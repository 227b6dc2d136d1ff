// The Inspector's edits: "Tag selection as" [column] [value] [Tag], "Edit" the selected point's cell,
// Undo, and the notice shown when the tags are older than the latest edits ("Show latest").
import { byId, el, setOptions } from '../dom.js';
import { columnByName, userColumns } from '../metadata.js';

const cellText = (v) => (v === null || v === undefined ? '' : String(v));
/** The columns a user may edit: not TensorBoard's `__` columns, nor those holding a given layout. */
function editableColumns(s) {
  const given = new Set((s.info?.given ?? []).flatMap((g) => g.source.split(',')));
  return userColumns(s.metadata?.columns ?? []).filter((c) => !given.has(c.name));
}

/** Wire the tag and edit controls to the store and actions. */
export function mountTagPanel(store, actions) {
  const notice = byId('edit-notice');
  const noticeText = byId('edit-notice-text');
  const showLatest = byId('edit-show-latest');
  const tagForm = byId('tag-form');
  const tagColumn = byId('tag-column');
  const tagColumns = byId('tag-columns');
  const tagValue = byId('tag-value');
  const tagButton = byId('tag-button');
  const cellForm = byId('edit-cell-form');
  const cellColumn = byId('edit-column');
  const cellValue = byId('edit-value');
  const cellButton = byId('edit-save');
  const undo = byId('edit-undo');
  const message = byId('edit-message');
  const error = byId('edit-error');
  let cellFor = null; // "row|column|version" whose value the Edit box shows

  function fillCell(s, force = false) {
    const row = s.selection.length === 1 ? s.selection[0] : null;
    const key = `${row}|${cellColumn.value}|${s.editVersion}`;
    if (!force && key === cellFor) return;
    cellFor = key;
    const column = columnByName(s, cellColumn.value);
    cellValue.value = row === null || !column ? '' : cellText(column.values[row]);
  }

  function render(s) {
    const columns = editableColumns(s);
    tagColumns.replaceChildren(...columns.filter((c) => c.type === 'text').map((c) => el('option', { value: c.name })));
    const older = s.editVersion !== null && s.editVersion < s.editLatest;
    notice.hidden = !older;
    if (older) {
      const newer = s.editLatest - s.editVersion;
      noticeText.textContent = `Tags as of edit ${s.editVersion}; ${newer} newer ${newer === 1 ? 'edit' : 'edits'}. Show the latest to edit.`;
    }
    const n = s.selection.length;
    const idle = !s.editing.busy && !!s.metadata && !older;
    const why = older ? 'Show the latest edits to edit' : '';
    for (const button of [tagButton, cellButton, undo]) button.title = why;
    tagButton.disabled = !idle || n === 0;
    tagButton.textContent = n ? `Tag ${n.toLocaleString('en-US')} ${n === 1 ? 'point' : 'points'}` : 'Tag';
    cellForm.hidden = n !== 1;
    const keep = cellColumn.value || s.labelBy;
    setOptions(cellColumn, columns.map((c) => ({ value: c.name, text: c.name })), keep);
    cellButton.disabled = !idle || n !== 1 || !cellColumn.value;
    undo.disabled = !idle || s.editLatest === 0;
    fillCell(s);
    message.textContent = s.editing.error ? '' : s.editing.message;
    error.hidden = !s.editing.error;
    error.textContent = s.editing.error ?? '';
  }

  tagForm.addEventListener('submit', (event) => {
    event.preventDefault();
    if (!tagColumn.value.trim()) {
      tagColumn.focus();
      return;
    }
    actions.tagSelection(tagColumn.value, tagValue.value);
  });
  cellForm.addEventListener('submit', (event) => {
    event.preventDefault();
    actions.editCell(cellColumn.value, cellValue.value);
  });
  cellColumn.addEventListener('change', () => fillCell(store.get(), true));
  undo.addEventListener('click', () => actions.undoEdit());
  showLatest.addEventListener('click', () => actions.showLatestEdits());
  // A message about the last edit is stale once the selection changes.
  store.subscribe(['selection', 'dataset'], () => actions.dismissEditMessage());
  // Read the store afresh: the message dismissal above updates it while this change is delivered.
  store.subscribe(['metadata', 'info', 'selection', 'editVersion', 'editLatest', 'editing', 'labelBy'], () => render(store.get()));
  render(store.get());
}
