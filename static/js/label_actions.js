// User intents about the labels on the map: which points get one, their size, and 3D labels.

const MODES = ['off', 'neighbors', 'all'];
export const LABEL_SIZE_RANGE = Object.freeze([8, 32]); // CSS px, as the #label-size input allows

/** Build the label actions over `store`. */
export function createLabelActions(store) {
  return {
    /** Label nothing ('off'), the selection and its neighbours ('neighbors'), or every visible point that fits ('all'). */
    setLabelMode(mode) {
      if (MODES.includes(mode)) store.update({ labelMode: mode });
    },
    /** In 3D, scale labels with depth (nearer = bigger). */
    setLabels3d(on) {
      store.update({ labels3d: !!on });
    },
    /** Label font size in CSS px, clamped to LABEL_SIZE_RANGE; non-numbers are ignored. */
    setLabelSize(size) {
      const px = Math.round(Number(size));
      if (!Number.isFinite(px)) return;
      store.update({ labelSize: Math.min(LABEL_SIZE_RANGE[1], Math.max(LABEL_SIZE_RANGE[0], px)) });
    },
  };
}
