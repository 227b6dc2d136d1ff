// Metadata edits: tag the selection, edit one cell, undo, and show another edit version. An edit's
// answer is applied to the loaded metadata in place of a refetch (400k rows), unless someone else
// edited in between; then the latest metadata is fetched.
import * as api from './api.js';
import { errorText } from './projection_runs.js';
import { columnByName, defaultLabelColumn, infoAt } from './metadata.js';

/** Build the edit actions over `store`; `actions` are the core ones (colour, search, labels). */
export function createEditActions(store, actions) {
  const state = () => store.get();
  let token = 0;

  function setEditing(patch) {
    store.update({ editing: { ...state().editing, ...patch } });
  }

  /** Colour, legend, labels and search follow the metadata now loaded (`column` changed or went). */
  function refresh(column) {
    const s = state();
    const has = (name) => !!columnByName(s, name);
    if (s.labelBy && !has(s.labelBy)) actions.setLabelBy(defaultLabelColumn(s.metadata.columns));
    if (s.colorBy && (!has(s.colorBy) || column === null || s.colorBy === column)) {
      actions.setColorBy(has(s.colorBy) ? s.colorBy : null);
    }
    const now = state();
    const searched = now.search.column ?? now.labelBy;
    if (now.search.column && !has(now.search.column)) actions.search({ column: null }, { keepSelection: true });
    else if (now.search.query && (column === null || searched === column)) {
      actions.search({}, { keepSelection: now.selectionSource !== 'search' });
    }
  }

  /** Load the metadata at `version` (null: the latest) for the dataset shown. */
  async function showVersion(version) {
    const { dataset } = state();
    if (!dataset) return;
    const mine = ++token;
    setEditing({ busy: true, error: null, message: '' });
    try {
      const [latest, metadata] = await Promise.all([api.getDataset(dataset), api.getMetadata(dataset, version)]);
      if (mine !== token || state().dataset !== dataset) return;
      store.update({
        metadata, info: infoAt(latest, metadata), editVersion: metadata.version,
        editLatest: Math.max(latest.version ?? 0, metadata.version),
      });
      setEditing({ busy: false });
      refresh(null);
    } catch (err) {
      if (mine === token) setEditing({ busy: false, error: errorText(err) });
    }
  }

  /**
   * Put `values` (one value for all, or one per row) of `column` at `rows`; `summary` is the
   * column's ColumnInfo after the change (null: the column is gone). `version` is the new version.
   */
  function applyLocally(column, rows, values, summary, version) {
    const s = state();
    const columns = s.metadata.columns;
    const at = columns.findIndex((c) => c.name === column);
    let next;
    if (!summary) {
      next = columns.filter((c) => c.name !== column);
    } else {
      const cells = at >= 0 ? columns[at].values.slice() : new Array(s.info.n).fill('');
      const each = Array.isArray(values);
      for (let k = 0; k < rows.length; k++) cells[rows[k]] = each ? values[k] : values;
      const edited = { name: column, type: summary.type, values: cells };
      next = at >= 0 ? columns.map((c, j) => (j === at ? edited : c)) : [...columns, edited];
    }
    const infoColumns = s.info.columns.filter((c) => c.name !== column || summary);
    const known = infoColumns.findIndex((c) => c.name === column);
    let columnsInfo = infoColumns;
    if (summary) columnsInfo = known >= 0 ? infoColumns.map((c, j) => (j === known ? summary : c)) : [...infoColumns, summary];
    store.update({
      metadata: { ...s.metadata, columns: next, version },
      info: { ...s.info, columns: columnsInfo, version },
      editVersion: version,
      editLatest: version,
    });
    refresh(column);
  }

  /** Send one edit; its answer lands in the loaded metadata (or the latest is fetched). */
  async function send(body, describe) {
    const { dataset, editVersion, editLatest } = state();
    if (!dataset) return false;
    if (editVersion !== editLatest) {
      setEditing({ error: 'These are older tags: “Show latest” first, then edit.', message: '' });
      return false;
    }
    setEditing({ busy: true, error: null, message: '' });
    try {
      const answer = await api.editMetadata(dataset, body);
      if (state().dataset !== dataset) return false;
      if (answer.version === editVersion + 1 && state().editVersion === editVersion) {
        applyLocally(body.column, body.rows, answer.value, answer.column, answer.version);
      } else {
        await showVersion(null); // someone else edited meanwhile: their edits come too
      }
      setEditing({ busy: false, message: `${describe(answer)} (edit ${answer.version}).` });
      return true;
    } catch (err) {
      setEditing({ busy: false, error: errorText(err) });
      return false;
    }
  }

  return {
    /** "Tag selection as": set `value` in `column` (a text column, or a new one) for the selected rows. */
    tagSelection(column, value) {
      const rows = [...state().selection];
      if (rows.length === 0) {
        setEditing({ error: 'Select points first, then tag them.', message: '' });
        return Promise.resolve(false);
      }
      const name = column.trim();
      const told = (a) => `Tagged ${a.rows.toLocaleString('en-US')} ${a.rows === 1 ? 'point' : 'points'} “${value}” in ${name}`;
      return send({ column: name, rows, value }, told);
    },
    /** "Edit": set the selected point's cell in an existing `column` to `value`. */
    editCell(column, value) {
      const { selection } = state();
      if (selection.length !== 1) return Promise.resolve(false);
      return send({ column, rows: [selection[0]], value, cell: true }, () => `Set ${column} of point #${selection[0]}`);
    },
    /** Undo the latest edit not yet undone (an entry in the server's log). */
    async undoEdit() {
      const { dataset, editVersion, editLatest } = state();
      if (!dataset) return false;
      if (editVersion !== editLatest) {
        setEditing({ error: 'These are older tags: “Show latest” first, then undo.', message: '' });
        return false;
      }
      setEditing({ busy: true, error: null, message: '' });
      try {
        const answer = await api.undoEdit(dataset);
        if (state().dataset !== dataset) return false;
        if (answer.version === editVersion + 1 && state().editVersion === editVersion) {
          applyLocally(answer.column, answer.rows, answer.values, answer.column_info, answer.version);
        } else {
          await showVersion(null);
        }
        setEditing({ busy: false, message: `Undid edit ${answer.undoes} (edit ${answer.version}).` });
        return true;
      } catch (err) {
        setEditing({ busy: false, error: errorText(err) });
        return false;
      }
    },
    /** Show the metadata at edit `version` (null: the latest): a view made at that version. */
    showEditVersion: showVersion,
    /** Show the latest edits (the notice's "Show latest"). */
    showLatestEdits() {
      return showVersion(null);
    },
    dismissEditMessage() {
      const { editing } = state();
      if (editing.error || editing.message) setEditing({ error: null, message: '' });
    },
  };
}
