// Projections panel: the PCA | t-SNE | UMAP | Custom | Given tabs, each tab's form and its run box.
// The Given tab shows only on a dataset with given layouts; a coordinates-only dataset has no
// vectors to project, so it shows the Given tab alone.
import { byId } from '../dom.js';
import { mountPcaTab } from './pca_tab.js';
import { bindParamForm } from './param_form.js';
import { mountRunBox } from './run_box.js';
import { mountCustomTab } from './custom_tab.js';
import { mountSuperviseFields } from './supervise_fields.js';
import { mountGivenTab } from './given_tab.js';
import { pcaFirstHint } from '../projection_params.js';

/** Wire the Projections panel to the store and actions. */
export function mountProjectionsPanel(store, actions) {
  const tabs = [...byId('projection-tabs').querySelectorAll('[role="tab"]')];

  function shownTabs() {
    return tabs.filter((t) => !t.hidden);
  }

  function renderTabs({ projection, info, coords }) {
    const given = !!info?.given?.length || coords?.method === 'given';
    for (const tab of tabs) {
      tab.hidden = tab.dataset.method === 'given' ? !given : !!info?.coords_only;
      const active = tab.dataset.method === projection.method;
      tab.classList.toggle('active', active);
      tab.setAttribute('aria-selected', String(active));
      tab.tabIndex = active ? 0 : -1;
      byId(tab.getAttribute('aria-controls')).hidden = !active;
    }
  }

  byId('projection-tabs').addEventListener('click', (event) => {
    const tab = event.target.closest('[role="tab"]');
    if (tab) actions.setMethod(tab.dataset.method);
  });
  byId('projection-tabs').addEventListener('keydown', (event) => {
    // Arrow keys move between tabs, as in every tab list.
    const step = { ArrowRight: 1, ArrowLeft: -1 }[event.key];
    if (!step) return;
    const visible = shownTabs();
    const at = visible.findIndex((t) => t.dataset.method === store.get().projection.method);
    const next = visible[(at + step + visible.length) % visible.length];
    actions.setMethod(next.dataset.method);
    next.focus();
  });

  mountPcaTab(store, actions);
  mountSuperviseFields(store);
  for (const method of ['tsne', 'umap']) {
    bindParamForm(byId(`pane-${method}`), method, store, actions);
    mountRunBox(byId(`${method}-runbox`), method, store, actions);
  }
  mountCustomTab(store, actions);
  mountRunBox(byId('custom-runbox'), 'custom', store, actions);
  mountGivenTab(store, actions);

  function renderPcaHints({ params, info }) {
    for (const method of ['tsne', 'umap']) byId(`${method}-pca-hint`).textContent = pcaFirstHint(params[method].pca_dims, info?.dim);
  }
  store.subscribe(['params', 'info'], renderPcaHints);
  renderPcaHints(store.get());

  store.subscribe(['projection', 'info', 'coords'], renderTabs);
  renderTabs(store.get());
}
