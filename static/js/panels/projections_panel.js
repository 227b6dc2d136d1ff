// Projections panel: the PCA | t-SNE | UMAP | Custom tabs, each tab's form and its run box.
import { byId } from '../dom.js';
import { mountPcaTab } from './pca_tab.js';
import { bindParamForm } from './param_form.js';
import { mountRunBox } from './run_box.js';
import { mountCustomTab } from './custom_tab.js';
import { mountSuperviseFields } from './supervise_fields.js';

/** Wire the Projections panel to the store and actions. */
export function mountProjectionsPanel(store, actions) {
  const tabs = [...byId('projection-tabs').querySelectorAll('[role="tab"]')];

  function renderTabs({ projection }) {
    for (const tab of tabs) {
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
    const at = tabs.findIndex((t) => t.dataset.method === store.get().projection.method);
    const next = tabs[(at + step + tabs.length) % tabs.length];
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

  store.subscribe(['projection'], renderTabs);
  renderTabs(store.get());
}
