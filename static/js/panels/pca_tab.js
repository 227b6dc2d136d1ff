// The PCA tab: the 2D/3D toggle and the X/Y/Z component choices.
import { byId, setOptions } from '../dom.js';
import { pcaResult } from '../results.js';

/** "Component #1 (variance 12.3%)" for component index i. */
export function componentText(i, variance) {
  const v = variance[i];
  return typeof v === 'number' ? `Component #${i + 1} (variance ${(v * 100).toFixed(1)}%)` : `Component #${i + 1}`;
}

/** Wire the PCA tab to the store and actions. */
export function mountPcaTab(store, actions) {
  const axes = [byId('axis-x'), byId('axis-y'), byId('axis-z')];
  const toggle = byId('dims-toggle');
  const total = byId('variance-total');

  function renderAxes(state) {
    const { variance, projection, params } = state;
    const coords = pcaResult(state)?.coords;
    const d = coords ? coords.columns ?? coords.d : 0; // a large PCA's other components come when chosen
    const mode = params.pca.mode;
    const options = Array.from({ length: d }, (_, i) => ({ value: i, text: componentText(i, variance) }));
    axes.forEach((select, a) => {
      setOptions(select, options, projection.axes[a]);
      select.disabled = d === 0 || (a === 2 && mode === '2d');
    });
    const used = mode === '2d' ? 2 : 3;
    const sum = projection.axes.slice(0, used).reduce((acc, i) => acc + (variance[i] ?? 0), 0);
    total.textContent = variance.length ? `Variance shown: ${(sum * 100).toFixed(1)}%` : '';
  }

  function renderMode({ params }) {
    for (const button of toggle.querySelectorAll('button')) {
      button.setAttribute('aria-pressed', String(button.dataset.mode === params.pca.mode));
    }
  }

  axes.forEach((select, a) => select.addEventListener('change', () => actions.setAxis(a, Number(select.value))));
  toggle.addEventListener('click', (event) => {
    const button = event.target.closest('button[data-mode]');
    if (button) actions.setMode(button.dataset.mode);
  });

  store.subscribe(['coords', 'variance', 'projection', 'params', 'results'], renderAxes);
  store.subscribe(['params'], renderMode);
  renderAxes(store.get());
  renderMode(store.get());
}
