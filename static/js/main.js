// Composition root: build the store, actions, scene and panels, and expose a read-only test hook.
import { createStore, initialState } from './store.js';
import { createActions } from './actions.js';
import { startUrlSync } from './url_sync.js';
import { startLiveSync } from './live_sync.js';
import { createViewActions } from './view_actions.js';
import { createBookmarkActions } from './bookmark_actions.js';
import { mountShareButton } from './panels/share_button.js';
import { mountTokenField } from './panels/token_field.js';
import { mountBookmarksPanel } from './panels/bookmarks_panel.js';
import { byId } from './dom.js';
import { createScene } from './scene/scene_controller.js';
import { mountDataPanel } from './panels/data_panel.js';
import { mountProjectionsPanel } from './panels/projections_panel.js';
import { mountInspectorPanel } from './panels/inspector_panel.js';
import { mountStatusBar } from './panels/status_bar.js';
import { createOptionActions } from './option_actions.js';
import { createExportActions } from './export_actions.js';
import { createPageHintActions } from './page_hint_actions.js';
import { mountPlotMessage } from './panels/plot_message.js';
import { mountViewOptions } from './panels/view_options.js';
import { mountExportMenu } from './panels/export_menu.js';
import { mountTheme } from './theme.js';
import { createLabelActions } from './label_actions.js';
import { mountLabelControls } from './panels/label_controls.js';
import { mountStatusLine } from './panels/status_line.js';
import { createToolActions } from './tools/tool_actions.js';
import { mountToolbar } from './tools/toolbar.js';
import { createEditActions } from './edit_actions.js';
import { mountTagPanel } from './panels/tag_panel.js';
import { createDerivedColumnActions } from './derived_columns.js';
import { createCompareActions } from './compare_actions.js';
import { mountComparePanel } from './panels/compare_panel.js';
import { mountCompareScene } from './scene/compare_scene.js';
import { createFaithfulnessActions } from './faithfulness_actions.js';
import { mountFaithfulnessPanel } from './panels/faithfulness_panel.js';
import { createClusterActions } from './cluster_actions.js';
import { mountClusterPanel } from './panels/cluster_panel.js';
import { createVectorQueryActions } from './vector_query_actions.js';
import { mountQueryBox } from './panels/query_box.js';
import { createDiagnosticsActions } from './diagnostics_actions.js';
import { mountDiagnosticsPanel } from './panels/diagnostics_panel.js';
import { createUploadActions } from './upload_actions.js';

const store = createStore(initialState());
const coreActions = createActions(store);
const editActions = createEditActions(store, coreActions);
const derivedActions = createDerivedColumnActions(store, coreActions);
const clusterActions = createClusterActions(store, coreActions, derivedActions);
const viewActions = createViewActions(store, coreActions, editActions, clusterActions);
const compareActions = createCompareActions(store, derivedActions, coreActions);
const restoreView = viewActions.restore; // a restored view's (or bookmark's) comparison opens once its map is drawn
viewActions.restore = async (v, options) => {
  await restoreView(v, options);
  compareActions.followView(v);
};
const actions = {
  ...coreActions, ...createOptionActions(store, coreActions), ...createExportActions(store),
  ...viewActions, ...createBookmarkActions(store, viewActions), ...createPageHintActions(store),
  ...createLabelActions(store), ...createToolActions(store), ...editActions,
  ...derivedActions, ...createFaithfulnessActions(store, coreActions, derivedActions), ...clusterActions,
  compareWith: compareActions.compareWith, stopCompare: compareActions.stopCompare, closeCompare: compareActions.closeCompare,
};
Object.assign(actions, createVectorQueryActions(store, actions), createDiagnosticsActions(store, actions),
  createUploadActions(store, actions));
mountTheme(store, actions);
mountStatusBar(store, actions);
mountDataPanel(store, actions);
mountProjectionsPanel(store, actions);
mountInspectorPanel(store, actions);
mountViewOptions(store, actions);
mountExportMenu(store, actions);
mountShareButton(store, actions);
mountTokenField(store, actions);
mountPlotMessage(store, actions);
mountBookmarksPanel(store, actions);
mountLabelControls(store, actions);
mountStatusLine(store);
mountToolbar(store, actions);
mountTagPanel(store, actions);
mountComparePanel(store, actions);
mountFaithfulnessPanel(store, actions);
mountClusterPanel(store, actions);
mountQueryBox(store, actions);
mountDiagnosticsPanel(store, actions);

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
  /** The camera's pose now: {position: [x, y, z], target: [x, y, z], zoom}. */
  camera: () => scene.camera(),
  /** The same for the second map of a comparison (null when none is open). */
  compareScreenPositionOf: (row) => compareScene.screenPositionOf(row),
  compareCamera: () => compareScene.camera(),
});

// The address names what to open (/v/<id> puts the view id in body[data-view]); from then on it follows the state.
// ?live=<id> is read before url_sync rewrites the address (and stays in it).
const live = startLiveSync(store);
startUrlSync(store, actions, { viewId: document.body.dataset.view || '', live });
// The scene after the first requests are sent: a WebGL context takes a software renderer most of a
// second to create, and a large dataset's bytes arrive meanwhile. It draws the state it finds.
const scene = createScene(byId('scene'), store, actions);
const compareScene = mountCompareScene(byId('compare-scene'), store, actions);
