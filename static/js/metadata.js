// Read-only lookups into the loaded metadata (state.metadata = {columns: [{name, type, values}]})
// and the columns analyses derived (state.derivedColumns, same shape plus derived: true).

/** The metadata column called `name`, else the derived column of that name, or null. */
export function columnByName(state, name) {
  if (!state.metadata || name === null || name === undefined) return null;
  return state.metadata.columns.find((c) => c.name === name) || state.derivedColumns?.find((c) => c.name === name) || null;
}

/** Summaries ({name, type, distinct, min, max}) of the derived columns, for the pickers. */
export function derivedSummaries(state) {
  return (state.derivedColumns ?? []).map(columnSummary);
}

/** The label of dataset row `row` under the current "Label by" column (a string, maybe empty). */
export function labelOf(state, row) {
  const column = columnByName(state, state.labelBy);
  if (!column) return `#${row}`;
  const v = column.values[row];
  return v === null || v === undefined ? '' : String(v);
}

/** The column a new dataset is labelled by: the first text column, else the first column. */
export function defaultLabelColumn(columns) {
  if (!columns || columns.length === 0) return null;
  return (columns.find((c) => c.type === 'text') || columns[0]).name;
}

/** A column's summary as the server's ColumnInfo has it: {name, type, distinct, min, max}. */
export function columnSummary(column) {
  const present = column.values.filter((v) => v !== null && v !== undefined && v !== '');
  const distinct = new Set(present).size;
  if (column.type !== 'numeric') return { name: column.name, type: 'text', distinct, min: null, max: null };
  let min = Infinity;
  let max = -Infinity;
  for (const v of present) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { name: column.name, type: 'numeric', distinct, min: present.length ? min : null, max: present.length ? max : null };
}

/** Dataset description `info` (the latest) as of `metadata`'s edit version: its columns summarised from the values. */
export function infoAt(info, metadata) {
  if ((info.version ?? 0) === metadata.version) return info;
  return { ...info, version: metadata.version, columns: metadata.columns.map(columnSummary) };
}

/** The columns a user picks from: TensorBoard's `__` columns (such as __seq_next__) are plumbing, not labels. */
export function userColumns(columns) {
  return columns.filter((c) => !c.name.startsWith('__'));
}

/** TensorBoard's sequence columns (the row of the next point), the current name first. */
export const SEQUENCE_COLUMNS = ['__seq_next__', '__next__'];

/** The loaded metadata column that links each point to the next of its sequence, or null. */
export function sequenceColumn(state) {
  for (const name of SEQUENCE_COLUMNS) {
    const column = columnByName(state, name);
    if (column) return column;
  }
  return null;
}
