// Rings in the scene's HTML overlay around a selected point's false neighbours (near on screen, not
// in the data) and missed neighbours (near in the data, not on screen). Placed on every render, so
// they follow the camera; at most 2k of them, so one element each is cheap.

const KINDS = new Set(['false', 'missed']);

/** Create the marks layer in `overlay` (the scatter view's HTML overlay). */
export function createFaithfulnessMarks(overlay) {
  const root = document.createElement('div');
  root.className = 'faith-marks';
  overlay.append(root);
  let marks = []; // [{index, kind, node}]
  const at = { x: 0, y: 0, visible: false };

  return {
    /** The marks to draw: [{index (draw order), kind: 'false' | 'missed'}]. */
    setMarks(list) {
      root.replaceChildren();
      marks = list.filter((m) => KINDS.has(m.kind)).map(({ index, kind }) => {
        const node = document.createElement('div');
        node.className = `faith-mark faith-${kind}`;
        node.dataset.index = String(index);
        node.hidden = true;
        root.append(node);
        return { index, kind, node };
      });
      root.dataset.count = String(marks.length);
    },
    /** Put each ring on its point; project(index, out) fills {x, y, visible} in canvas CSS pixels. */
    place(project, width, height) {
      for (const { index, node } of marks) {
        project(index, at);
        const shown = at.visible && at.x >= 0 && at.y >= 0 && at.x <= width && at.y <= height;
        node.hidden = !shown;
        if (shown) node.style.transform = `translate(${Math.round(at.x)}px, ${Math.round(at.y)}px)`;
      }
    },
    dispose() {
      root.remove();
    },
  };
}
