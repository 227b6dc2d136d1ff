// The toolbar's label group: label mode, "3D labels" (shown only in 3D) and label size.
import { byId } from '../dom.js';

/** Wire #label-mode, #labels-3d (in #labels-3d-option) and #label-size to the store and actions. */
export function mountLabelControls(store, actions) {
  const mode = byId('label-mode');
  const option3d = byId('labels-3d-option');
  const labels3d = byId('labels-3d');
  const size = byId('label-size');

  function render({ labelMode, labels3d: on, labelSize, camera }) {
    mode.value = labelMode;
    option3d.hidden = camera.mode !== '3d';
    labels3d.checked = on;
    // Leave the field alone while it is being typed in; it shows the stored value on change/blur.
    if (document.activeElement !== size) size.value = String(labelSize);
  }

  mode.addEventListener('change', () => actions.setLabelMode(mode.value));
  labels3d.addEventListener('change', () => actions.setLabels3d(labels3d.checked));
  size.addEventListener('input', () => {
    if (size.value !== '' && size.checkValidity()) actions.setLabelSize(size.value);
  });
  size.addEventListener('change', () => {
    actions.setLabelSize(size.value);
    size.value = String(store.get().labelSize);
  });
  store.subscribe(['labelMode', 'labels3d', 'labelSize', 'camera'], render);
  render(store.get());
}
