// User intents about how the data is shown: thumbnails instead of points, and sphereized data.
import { sphereized } from './results.js';

/** Build the display-option actions over `store`; `actions` are the core ones (actions.js). */
export function createOptionActions(store, actions) {
  const state = () => store.get();
  return {
    /** Draw the dataset's sprite thumbnails (true) or plain points (false). */
    setShowSprites(on) {
      store.update({ showSprites: !!on });
    },
    /** Draw the sequences of a `__seq_next__` column as lines (true) or not (false). */
    setShowSequences(on) {
      store.update({ showSequences: !!on });
    },
    /**
     * Project sphereized data (each vector centred on the mean and scaled to unit norm) or the raw
     * vectors. Results are kept per choice; the PCA of the points in view re-runs at once (as in
     * TensorBoard), while t-SNE, UMAP and Custom wait for Run.
     */
    setSphereize(on) {
      const s = state();
      if (sphereized(s) === !!on) return Promise.resolve();
      store.update({ projection: { ...s.projection, sphereize: !!on } });
      return s.dataset ? actions.reproject() : Promise.resolve();
    },
  };
}
