// The Data panel's Clusters form: minimum cluster size, minimum samples, space, the column that
// names the clusters, "Find clusters", its progress and outcome, and the Density toggle.
import { byId, setOptions } from '../dom.js';
import { userColumns } from '../metadata.js';

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

  function render(s) {
    const text = userColumns(s.metadata?.columns ?? []).filter((c) => c.type === 'text');
    const chosen = column.value || (text[0]?.name ?? '');
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
  store.subscribe(['metadata', 'clusters', 'coords', 'info', 'showDensity', 'camera'], render);
  render(store.get());
}
