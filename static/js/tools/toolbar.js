// The map toolbar's mouse-mode and view controls: orbit / box / lasso, reset view, fit selection,
// point size, the selection count, and their keyboard shortcuts (O, B, L, R, F, Esc).
import { byId } from '../dom.js';

const SHORTCUTS = { o: 'orbit', b: 'box', l: 'lasso' };
const countFormat = new Intl.NumberFormat('en-US');

/** Whether a key event belongs to a text field, a menu, a dialog or a popover, where keys are not map shortcuts. */
function typing(event) {
  const target = event.target;
  if (!(target instanceof Element)) return false;
  // Inside a dialog or popover, Esc and letters belong to it.
  return target.isContentEditable || ['INPUT', 'SELECT', 'TEXTAREA'].includes(target.tagName) || !!target.closest('dialog, .popover');
}

/** Wire the toolbar's mode and view controls to the store and actions. */
export function mountToolbar(store, actions) {
  const modeButtons = [...document.querySelectorAll('#toolbar [data-tool]')];
  const fitButton = byId('fit-selection');
  const pointSize = byId('point-size');
  const count = byId('selection-count');

  for (const button of modeButtons) button.addEventListener('click', () => actions.setTool(button.dataset.tool));
  byId('reset-view').addEventListener('click', () => actions.resetView());
  fitButton.addEventListener('click', () => actions.fitSelection());
  pointSize.addEventListener('input', () => actions.setPointSize(pointSize.value));

  document.addEventListener('keydown', (event) => {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || typing(event)) return;
    const key = event.key.length === 1 ? event.key.toLowerCase() : event.key;
    if (SHORTCUTS[key]) actions.setTool(SHORTCUTS[key]);
    else if (key === 'r') actions.resetView();
    else if (key === 'f') actions.fitSelection();
    else if (key === 'Escape' && store.get().selection.length) actions.clearSelection();
    else return;
    event.preventDefault();
  });

  function renderTool({ tool }) {
    for (const button of modeButtons) button.setAttribute('aria-pressed', String(button.dataset.tool === tool));
  }

  function renderSelection({ selection }) {
    count.textContent = selection.length ? `${countFormat.format(selection.length)} selected` : '';
    fitButton.disabled = selection.length === 0;
  }

  function renderPointSize({ pointSize: size }) {
    if (Number(pointSize.value) !== size) pointSize.value = String(size);
  }

  store.subscribe(['tool'], renderTool);
  store.subscribe(['selection'], renderSelection);
  store.subscribe(['pointSize'], renderPointSize);
  renderTool(store.get());
  renderSelection(store.get());
  renderPointSize(store.get());
}
