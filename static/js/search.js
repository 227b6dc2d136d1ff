// Metadata search: substring (case-insensitive) or regular expression over one column.
//
// A regex runs in a Web Worker (search_worker.js) that is stopped after REGEX_TIME_LIMIT_MS: a
// pattern that backtracks catastrophically, e.g. a shared view's search of ^(\w+)+$x, cannot freeze
// the page. Past the limit, the pattern's literal text is searched as a plain substring instead.
// Substring searches, empty queries and invalid patterns answer at once, on the main thread.

export const REGEX_TIME_LIMIT_MS = 500;
export const SLOW_PATTERN_NOTICE = 'Pattern too slow; simplified search used';
const HELD_COLUMNS = 4; // metadata columns a worker keeps, so a new pattern does not resend them

/**
 * Rows i for which `test(String(values[i]))` holds. Missing values never match, unless
 * `missingAsEmpty` (the Custom projection's server rule: a missing cell is the text "").
 */
export function matchRows(values, test, missingAsEmpty = false) {
  const rows = [];
  const missingMatches = missingAsEmpty && test('');
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === null || v === undefined) {
      if (missingMatches) rows.push(i);
      continue;
    }
    if (test(String(v))) rows.push(i);
  }
  return rows;
}

/** Rows whose value contains `needle`, ignoring case (an empty needle matches nothing). */
export function substringMatches(values, needle, missingAsEmpty = false) {
  if (!needle) return [];
  const lower = needle.toLowerCase();
  return matchRows(values, (s) => s.toLowerCase().includes(lower), missingAsEmpty);
}

/** The message for an invalid regex, or null. Compiling never backtracks: only matching does. */
export function regexError(pattern) {
  try {
    new RegExp(pattern, 'i');
    return null;
  } catch (err) {
    return `Invalid regular expression: ${err.message}`;
  }
}

/**
 * The plain text a regex asks for: its longest run of literal characters. A run ends at any
 * operator, class, group or anchor; a character made optional by ?, * or {…} leaves it.
 * '^(\w+)+$x' -> 'x', '^word2[0-9]$' -> 'word2', 'a\.b' -> 'a.b', 'cat|dog' -> 'cat'.
 */
export function literalText(pattern) {
  let best = '';
  let run = '';
  const end = () => {
    if (run.length > best.length) best = run;
    run = '';
  };
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') {
      const next = pattern[++i];
      if (next === undefined) break;
      if (/[A-Za-z0-9]/.test(next)) {
        // \w, \d, \b, a back-reference, \xHH, \u{…}, \p{…}, \k<…>: no literal here.
        if (pattern[i + 1] === '{' || pattern[i + 1] === '<') i = closing(pattern, i + 1);
        end();
      } else {
        run += next;
      }
    } else if (c === '[') {
      i = classEnd(pattern, i);
      end();
    } else if (c === '?' || c === '*' || (c === '{' && /^\{\d+(,\d*)?\}/.test(pattern.slice(i)))) {
      if (c === '{') i = closing(pattern, i);
      run = run.slice(0, -1);
      end();
    } else if (c === '(' && pattern[i + 1] === '?') {
      // (?:  (?=  (?!  (?<=  (?<!  (?<name>
      i += 1;
      if (pattern[i + 1] === '<' && pattern[i + 2] !== '=' && pattern[i + 2] !== '!') i = closing(pattern, i + 1);
      else i += pattern[i + 1] === '<' ? 2 : 1;
      end();
    } else if ('^$.+()|'.includes(c)) {
      end();
    } else {
      run += c;
    }
  }
  end();
  return best;
}

function closing(pattern, open) {
  const close = pattern[open] === '{' ? '}' : '>';
  const at = pattern.indexOf(close, open);
  return at < 0 ? pattern.length : at;
}

function classEnd(pattern, open) {
  for (let i = open + 1; i < pattern.length; i++) {
    if (pattern[i] === '\\') i++;
    else if (pattern[i] === ']' && i > open + 1) return i;
  }
  return pattern.length;
}

/**
 * The answer of a search that needs no worker: {rows, error, notice} for an empty query, a
 * substring search or an invalid regex; null for a valid regex (see regexMatches).
 */
export function immediateMatches(values, query, useRegex, missingAsEmpty = false) {
  if (!query) return { rows: [], error: null, notice: null };
  if (!useRegex) return { rows: substringMatches(values, query, missingAsEmpty), error: null, notice: null };
  const error = regexError(query);
  return error ? { rows: [], error, notice: null } : null;
}

/**
 * Search `values` (substring or regex): a Promise of {rows, error, notice}, or of null when a
 * newer search on the same `channel` replaced this one before it started.
 */
export function findMatches(values, query, useRegex, { missingAsEmpty = false, channel = null } = {}) {
  const now = immediateMatches(values, query, useRegex, missingAsEmpty);
  return now ? Promise.resolve(now) : regexMatches(values, query, { missingAsEmpty, channel });
}

// One worker runs one pattern at a time; the others wait in `queue`.
let worker = null;
let held = []; // column keys the worker holds, oldest first
let running = null;
const queue = [];
const columnKeys = new WeakMap();
let nextKey = 1;
let nextJob = 1;

function columnKey(values) {
  let key = columnKeys.get(values);
  if (!key) {
    key = nextKey++;
    columnKeys.set(values, key);
  }
  return key;
}

/**
 * Match a valid regex `pattern` (case-insensitive) in the worker: a Promise of {rows, error: null,
 * notice}, where notice is SLOW_PATTERN_NOTICE when the pattern ran out of time and `rows` are the
 * substring matches of its literal text; null when superseded on `channel` before it started.
 */
export function regexMatches(values, pattern, { missingAsEmpty = false, channel = null } = {}) {
  return new Promise((resolve) => {
    if (channel !== null) {
      for (let i = queue.length - 1; i >= 0; i--) {
        if (queue[i].channel === channel) queue.splice(i, 1)[0].resolve(null);
      }
    }
    queue.push({ id: nextJob++, values, key: columnKey(values), pattern, missingAsEmpty, channel, resolve, timer: 0 });
    pump();
  });
}

function startWorker() {
  worker = new Worker(new URL('./search_worker.js', import.meta.url), { type: 'module' });
  held = [];
  worker.onmessage = ({ data }) => onWorkerMessage(data);
  worker.onerror = (event) => {
    event.preventDefault();
    console.error(`search worker failed: ${event.message || 'could not start'}`);
    giveUp('Regex search failed; simplified search used');
  };
}

function stopWorker() {
  worker?.terminate();
  worker = null;
  held = [];
}

function pump() {
  if (running || !queue.length) return;
  running = queue.shift();
  if (!worker) startWorker();
  if (held.includes(running.key)) {
    sendMatch(running);
    return;
  }
  const drop = held.length >= HELD_COLUMNS ? held.splice(0, held.length - HELD_COLUMNS + 1) : [];
  held.push(running.key);
  // The clock starts once the worker holds the column: copying 400k values is not the pattern's fault.
  worker.postMessage({ type: 'column', key: running.key, values: running.values, drop });
}

function sendMatch(job) {
  worker.postMessage({ type: 'match', id: job.id, key: job.key, pattern: job.pattern, missingAsEmpty: job.missingAsEmpty });
  job.timer = setTimeout(() => {
    if (running !== job) return;
    stopWorker();
    giveUp(SLOW_PATTERN_NOTICE);
  }, REGEX_TIME_LIMIT_MS);
}

function onWorkerMessage(data) {
  const job = running;
  if (!job) return;
  if (data.type === 'held' && data.key === job.key) sendMatch(job);
  else if (data.type === 'rows' && data.id === job.id) finish(job, { rows: Array.from(data.rows), error: null, notice: null });
}

/** End the running job with the substring matches of its literal text (the worker is gone or broken). */
function giveUp(notice) {
  const job = running;
  if (!job) return;
  stopWorker();
  finish(job, { rows: substringMatches(job.values, literalText(job.pattern), job.missingAsEmpty), error: null, notice });
}

function finish(job, result) {
  clearTimeout(job.timer);
  running = null;
  job.resolve(result);
  pump();
}
