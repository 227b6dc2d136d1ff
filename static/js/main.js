// Composition root: build the store, actions, scene and panels, and expose a read-only test hook.
import { createStore, initialState } from './store.js';
import { createActions } from './actions.js';
import { readUrl, syncUrl } from './url_sync.js';
import { byId } from './dom.js';
import { createScene } from './scene/scene_controller.js';
import { mountDataPanel } from './panels/data_panel.js';
import { mountProjectionsPanel } from './panels/projections_panel.js';
import { mountInspectorPanel } from './panels/inspector_panel.js';
import { mountStatusBar } from './panels/status_bar.js';

const store = createStore(initialState());
const actions = createActions(store);
const scene = createScene(byId('scene'), store, actions);
mountStatusBar(store, actions);
mountDataPanel(store, actions);
mountProjectionsPanel(store, actions);
mountInspectorPanel(store, actions);
syncUrl(store);

// body[data-state] lets tests (and CSS) wait for "the current view is drawn" instead of sleeping.
let resolveReady;
const ready = new Promise((resolve) => {
  resolveReady = resolve;
});
store.subscribe(['phase'], ({ phase }) => {
  document.body.dataset.state = phase;
  if (phase === 'ready') resolveReady(true);
});

window.__projector = Object.freeze({
  store: Object.freeze({ get: store.get, subscribe: store.subscribe }),
  ready,
  /** Page (client) CSS pixel position of dataset row `row`, or null when it is not on screen. */
  screenPositionOf: (row) => scene.screenPositionOf(row),
});

actions.init(readUrl().dataset);
