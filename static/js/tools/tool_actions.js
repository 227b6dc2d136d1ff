// User intents from the map's toolbar: the mouse mode, the point size, and camera requests that
// the scene carries out (panels and tools never touch the camera themselves).
const TOOLS = ['orbit', 'box', 'lasso'];
const MIN_POINT_SIZE = 0.5;
const MAX_POINT_SIZE = 4;

/** Build the toolbar actions over `store`. */
export function createToolActions(store) {
  let seq = 0;
  const request = (kind) => store.update({ cameraRequest: { kind, seq: ++seq } });
  return {
    /** What a left drag on the plot does: 'orbit' | 'box' | 'lasso'. */
    setTool(tool) {
      if (TOOLS.includes(tool)) store.update({ tool });
    },
    /** Multiply the automatic dot size by `size` (0.5 to 4). */
    setPointSize(size) {
      const value = Number(size);
      if (Number.isFinite(value)) store.update({ pointSize: Math.min(MAX_POINT_SIZE, Math.max(MIN_POINT_SIZE, value)) });
    },
    /** Fit every point drawn into the plot. */
    resetView() {
      request('reset');
    },
    /** Fit the selected points (and a single point's neighbours) into the plot; nothing when none is selected. */
    fitSelection() {
      if (store.get().selection.length) request('fit');
    },
  };
}
