// The Data panel's Clusters form: minimum cluster size, minimum samples, space, the column that
// names the clusters, "Find clusters", its progress and outcome, and the Density toggle.
import { byId, setOptions } from '../dom.js';
import { userColumns } from '../metadata.js';

const present = (v) => v !== null && v !== undefined && v !== '';

/**
 * Whether every present value of `column` differs (an id column: its values name no group). The
 * server's summary (`summary.distinct`) spares a set of a million strings; counting is cheap.
 */
function allDistinct(column, summary) {
  if (summary) {
    let count = 0;
    for (const v of column.values) if (present(v)) count++;
    return summary.distinct === count;
  }
  const seen = new Set();
  for (const v of column.values) {
    if (!present(v)) continue;
    if (seen.has(v)) return false;
    seen.add(v);
  }
  return true;
}

/**
 * The default naming column among `text` columns: Label by when it names groups, else the first
 * that does, else none. `summaries` are the dataset's column summaries at the same edit version.
 */
export function defaultNamingColumn(text, labelBy, summaries = []) {
  const useful = text.filter((c) => !allDistinct(c, summaries.find((m) => m.name === c.name && m.type === c.type)));
  return (useful.find((c) => c.name === labelBy) ?? useful[0])?.name ?? '';
}

/** The dataset's column summaries when they describe the loaded metadata's edit version, else none. */
function summariesAt(s) {
  return s.info && (s.info.version ?? 0) === (s.metadata?.version ?? 0) ? s.info.columns ?? [] : [];
}

/** Wire #cluster-form and #density-toggle to the store and the cluster actions. */
export function mountClusterPanel(store, actions) {
  const form = byId('cluster-form');
  const minSize = byId('cluster-min-size');
  const minSamples = byId('cluster-min-samples');
  const space = byId('cluster-space');
  const column = byId('cluster-label-column');
  const button = byId('cluster-button');
  const status = byId('cluster-status');
  const error = byId('cluster-error');
  const density = byId('density-toggle');

  const number = (input) => (input.value === '' ? null : Number(input.value));
  // The user's pick stands until another dataset's metadata; until then the default follows Label by.
  let picked = null;
  let defaults = { metadata: undefined, labelBy: undefined, name: '' };
  column.addEventListener('change', () => {
    picked = column.value;
  });

  function render(s) {
    const text = userColumns(s.metadata?.columns ?? []).filter((c) => c.type === 'text');
    if (defaults.metadata !== s.metadata || defaults.labelBy !== s.labelBy) {
      if (defaults.metadata !== s.metadata) picked = null;
      defaults = { metadata: s.metadata, labelBy: s.labelBy, name: defaultNamingColumn(text, s.labelBy, summariesAt(s)) };
    }
    const chosen = picked === '' || (picked !== null && text.some((c) => c.name === picked)) ? picked : defaults.name;
    setOptions(column, [{ value: '', text: '(numbered)' }, ...text.map((c) => ({ value: c.name, text: c.name }))], chosen);
    const c = s.clusters;
    const running = c?.status === 'running';
    button.disabled = running || !s.coords?.job || s.coords.seq !== 'final' || !!s.info?.coords_only && space.value === 'vectors';
    status.textContent = !c ? ''
      : running ? `Finding clusters… ${Math.round((c.progress ?? 0) * 100)}%`
        : c.status === 'done' ? `${c.list.length} clusters, ${c.noise} noise points` : '';
    error.hidden = c?.status !== 'failed';
    error.textContent = c?.status === 'failed' ? c.error : '';
    density.checked = !!s.showDensity;
    density.disabled = s.camera.mode !== '2d';
    density.parentElement.title = s.camera.mode === '2d' ? 'Contour lines of the points\u2019 density under the map' : 'Density contours are drawn in 2D only';
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (!form.reportValidity()) return;
    actions.findClusters({
      minClusterSize: number(minSize), minSamples: number(minSamples), space: space.value, labelColumn: column.value || null,
    });
  });
  space.addEventListener('change', () => render(store.get()));
  density.addEventListener('change', () => actions.setShowDensity(density.checked));
  store.subscribe(['metadata', 'labelBy', 'clusters', 'coords', 'info', 'showDensity', 'camera'], render);
  render(store.get());
}
