// Data panel options: "Sprites" (thumbnails instead of points, shown only for a dataset with a
// sprite sheet), "Show sequences" (the lines of a __seq_next__ column, shown only when there is one), "Sphereize data" (as in TensorBoard: centre and unit-normalise before projecting)
// and "Use categorical colouring" (shown only while colouring by a numeric column with few values).
import { byId } from '../dom.js';
import { canBeCategorical } from '../colors.js';
import { SEQUENCE_COLUMNS } from '../metadata.js';

/** Wire the #sprites-toggle, #sphereize-toggle and #categorical-toggle checkboxes to the store and actions. */
export function mountViewOptions(store, actions) {
  const spritesOption = byId('sprites-option');
  const sprites = byId('sprites-toggle');
  const sphereize = byId('sphereize-toggle');
  const sphereizeOption = byId('sphereize-option');
  const sphereizeTitle = sphereizeOption.title;
  const categoricalOption = byId('categorical-option');
  const categorical = byId('categorical-toggle');
  const sequencesOption = byId('sequences-option');
  const sequences = byId('sequences-toggle');

  function render({ info, dataset, showSprites, showSequences, projection, colorBy, categoricalNumeric }) {
    spritesOption.hidden = !(info && info.id === dataset && info.sprite);
    sprites.checked = showSprites;
    sequencesOption.hidden = !(info && info.id === dataset && info.columns.some((c) => SEQUENCE_COLUMNS.includes(c.name)));
    sequences.checked = showSequences;
    sphereize.checked = !!projection.sphereize;
    // Sphereizing changes the vectors a projection is computed from: given coordinates are not computed.
    sphereizeOption.hidden = !!info?.coords_only;
    sphereize.disabled = projection.method === 'given';
    sphereizeOption.title = sphereize.disabled ? 'Given coordinates are shown as they are; sphereizing applies to computed projections' : sphereizeTitle;
    categoricalOption.hidden = !canBeCategorical(info?.columns?.find((c) => c.name === colorBy));
    categorical.checked = categoricalNumeric;
  }

  sprites.addEventListener('change', () => actions.setShowSprites(sprites.checked));
  sequences.addEventListener('change', () => actions.setShowSequences(sequences.checked));
  sphereize.addEventListener('change', () => actions.setSphereize(sphereize.checked));
  categorical.addEventListener('change', () => actions.setCategoricalNumeric(categorical.checked));
  store.subscribe(['info', 'dataset', 'showSprites', 'showSequences', 'projection', 'colorBy', 'categoricalNumeric'], render);
  render(store.get());
}
