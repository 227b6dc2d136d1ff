// Rings in the scene's HTML overlay around a selected point's false neighbours (near on screen, not
// in the data) and missed neighbours (near in the data, not on screen). Placed on every render, so
// they follow the camera; at most 2k of them, so one element each is cheap. False neighbours sit
// close to the selected point, so their rings would cover its marker: the layer is masked with a
// hole around the selected point.

const KINDS = new Set(['false', 'missed']);
const HOLE_PX = 7; // radius kept clear around the selected point: its marker stays visible

/** Create the marks layer in `overlay` (the scatter view's HTML overlay). */
export function createFaithfulnessMarks(overlay) {
  const root = document.createElement('div');
  root.className = 'faith-marks';
  overlay.append(root);
  let marks = []; // [{index, kind, node}]
  let centre = -1; // draw index of the selected point, -1 none
  const at = { x: 0, y: 0, visible: false };

  function setHole(x, y) {
    const mask = x === null ? '' : `radial-gradient(circle at ${x}px ${y}px, transparent ${HOLE_PX}px, #000 ${HOLE_PX + 1}px)`;
    root.style.maskImage = mask;
    root.style.webkitMaskImage = mask;
  }

  return {
    /** The marks to draw: [{index (draw order), kind: 'false' | 'missed'}] around the point `selected` (draw index). */
    setMarks(list, selected = -1) {
      centre = selected;
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
      if (centre >= 0 && marks.length) {
        project(centre, at);
        setHole(at.visible ? at.x : null, at.y);
      } else setHole(null, 0);
    },
    dispose() {
      root.remove();
    },
  };
}
