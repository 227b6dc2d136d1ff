// Columns an analysis derives (faithfulness, cluster, hubness, overlap...): kept in
// store.derivedColumns and offered in Colour by and Label by like metadata columns.

/** Actions that add, replace and drop derived columns; a column on screen as Colour by is recoloured. */
export function createDerivedColumnActions(store, core) {
  const state = store.get;

  return {
    /**
     * Add or replace the derived column `name`: `values` has one entry per dataset row (null where
     * the analysis has none, such as rows outside an isolated subset); type 'numeric' or 'text';
     * `neutral`: a value drawn in a neutral grey when coloured by (optional, such as cluster "noise").
     */
    setDerivedColumn({ name, type, values, source, neutral }) {
      const column = { name, type, values, source, derived: true };
      if (neutral !== undefined) column.neutral = neutral;
      const others = state().derivedColumns.filter((c) => c.name !== name);
      store.update({ derivedColumns: [...others, column] });
      if (state().colorBy === name) core.setColorBy(name);
    },
    /** Drop the derived column `name` (Colour by falls back to none when it showed it). */
    dropDerivedColumn(name) {
      if (!state().derivedColumns.some((c) => c.name === name)) return;
      store.update({ derivedColumns: state().derivedColumns.filter((c) => c.name !== name) });
      if (state().colorBy === name) core.setColorBy(null);
    },
  };
}

/** A full-length column (one value per dataset row, null elsewhere) from values over a job's `rows` (null: all rows). */
export function spreadOverRows(n, values, rows) {
  if (!rows) return Array.from(values);
  const out = new Array(n).fill(null);
  for (let i = 0; i < rows.length; i++) out[rows[i]] = values[i];
  return out;
}
