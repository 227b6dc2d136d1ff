// Metadata search: substring (case-insensitive) or regular expression over one column.

/**
 * Rows whose value in `values` matches `query`: {rows: number[], error: string|null}.
 * An empty query matches nothing; an invalid regex gives an error message instead of throwing.
 * Missing values never match, unless `missingAsEmpty` (the Custom projection's server rule:
 * a missing cell is the text "").
 */
export function findMatches(values, query, useRegex, missingAsEmpty = false) {
  if (!query) return { rows: [], error: null };
  let test;
  if (useRegex) {
    let re;
    try {
      re = new RegExp(query, 'i');
    } catch (err) {
      return { rows: [], error: `Invalid regular expression: ${err.message}` };
    }
    test = (s) => re.test(s);
  } else {
    const needle = query.toLowerCase();
    test = (s) => s.toLowerCase().includes(needle);
  }
  const rows = [];
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === null || v === undefined) {
      if (missingAsEmpty && test('')) rows.push(i);
      continue;
    }
    if (test(String(v))) rows.push(i);
  }
  return { rows, error: null };
}
