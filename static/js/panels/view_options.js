// Data panel options: "Sprites" (thumbnails instead of points, shown only for a dataset with a
// sprite sheet) and "Sphereize data" (as in TensorBoard: centre and unit-normalise before projecting).
import { byId } from '../dom.js';

/** Wire the #sprites-toggle and #sphereize-toggle checkboxes to the store and actions. */
export function mountViewOptions(store, actions) {
  const spritesOption = byId('sprites-option');
  const sprites = byId('sprites-toggle');
  const sphereize = byId('sphereize-toggle');

  function render({ info, dataset, showSprites, projection }) {
    spritesOption.hidden = !(info && info.id === dataset && info.sprite);
    sprites.checked = showSprites;
    sphereize.checked = !!projection.sphereize;
  }

  sprites.addEventListener('change', () => actions.setShowSprites(sprites.checked));
  sphereize.addEventListener('change', () => actions.setSphereize(sphereize.checked));
  store.subscribe(['info', 'dataset', 'showSprites', 'projection'], render);
  render(store.get());
}
