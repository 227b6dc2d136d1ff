// The regex half of search.js, off the main thread: it holds a few metadata columns and answers
// the rows that match each pattern. search.js terminates it when a pattern runs too long.
import { matchRows } from './search.js';

const columns = new Map(); // key -> values

self.onmessage = ({ data }) => {
  if (data.type === 'column') {
    for (const key of data.drop) columns.delete(key);
    columns.set(data.key, data.values);
    self.postMessage({ type: 'held', key: data.key });
  } else if (data.type === 'match') {
    const re = new RegExp(data.pattern, 'i');
    const rows = Int32Array.from(matchRows(columns.get(data.key) ?? [], (s) => re.test(s), data.missingAsEmpty));
    self.postMessage({ type: 'rows', id: data.id, rows }, [rows.buffer]);
  }
};
