// The second map of a comparison: a scene controller fed by store.compareCoords (the other
// embedding's layout in this dataset's row space), made when a comparison opens, disposed when it closes.
import { createScene } from './scene_controller.js';

/** Keep a second linked scene in `container` while store.compare is set; returns test read-outs. */
export function mountCompareScene(container, store, actions) {
  let scene = null;

  function follow({ compare }) {
    if (compare && !scene) {
      container.hidden = false;
      scene = createScene(container, store, actions, { source: 'compareCoords', primary: false });
      // The first map's hover card keeps its id; this one's must not repeat it.
      const card = container.querySelector('#hover-card');
      if (card) card.id = 'compare-hover-card';
    } else if (!compare && scene) {
      scene.dispose();
      scene = null;
      container.hidden = true;
    }
  }

  store.subscribe(['compare'], follow);
  follow(store.get());
  return {
    /** Page CSS position of dataset row `row` on the second map, or null. */
    screenPositionOf: (row) => scene?.screenPositionOf(row) ?? null,
    /** The second map's camera pose, or null when there is none. */
    camera: () => scene?.camera() ?? null,
  };
}
