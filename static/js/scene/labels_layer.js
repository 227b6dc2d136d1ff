// HTML overlay for point labels (selected point and neighbours, at most MAX_LABELS), and the hover
// ring and card. Text goes in through textContent only; elements are pooled and only moved on
// render. Hover lives here rather than in WebGL so that hovering never redraws the point cloud.

const MAX_LABELS = 200;

/** Create the layer inside `overlay` (an absolutely positioned, pointer-transparent element). */
export function createLabelsLayer(overlay) {
  const pool = [];
  let items = []; // [{index, text, kind, node, width}]
  const placed = []; // reused rectangles for the overlap test: [x0, y0, x1, y1, ...]

  const hoverRing = document.createElement('div');
  hoverRing.className = 'hover-ring';
  hoverRing.hidden = true;
  const hoverCard = document.createElement('div');
  hoverCard.className = 'hover-card';
  hoverCard.id = 'hover-card';
  hoverCard.hidden = true;
  // The card: the point's thumbnail (when the dataset has a sprite sheet) and its label.
  const hoverThumb = document.createElement('span');
  hoverThumb.className = 'thumb hover-thumb';
  hoverThumb.hidden = true;
  const hoverText = document.createElement('span');
  hoverText.className = 'hover-text';
  hoverCard.append(hoverThumb, hoverText);
  overlay.append(hoverRing, hoverCard);
  let hoverIndex = -1;
  const at = { x: 0, y: 0, visible: false };

  function placeHover(project) {
    if (hoverIndex < 0) return;
    project(hoverIndex, at);
    hoverCard.hidden = hoverRing.hidden = !at.visible;
    hoverRing.style.transform = `translate(${Math.round(at.x)}px, ${Math.round(at.y)}px)`;
    hoverCard.style.transform = `translate(${Math.round(at.x + 10)}px, ${Math.round(at.y + 10)}px)`;
  }

  function node(i) {
    while (pool.length <= i) {
      const n = document.createElement('div');
      n.className = 'point-label';
      n.hidden = true;
      overlay.insertBefore(n, hoverRing);
      pool.push(n);
    }
    return pool[i];
  }

  return {
    /** Labels to draw, most important first: [{index (draw order), text, kind: 'selected'|'neighbor'}]. */
    setLabels(list) {
      items = list.slice(0, MAX_LABELS).map((item, i) => {
        const n = node(i);
        n.textContent = item.text;
        n.className = `point-label ${item.kind}`;
        n.dataset.index = String(item.index);
        n.hidden = false;
        return { ...item, node: n, width: 0 };
      });
      for (let i = items.length; i < pool.length; i++) pool[i].hidden = true;
      // Measure every label in one pass (one layout), not one forced layout per label in place().
      for (const item of items) item.width = item.node.offsetWidth || item.text.length * 7;
    },
    /**
     * Show the hover ring and card at point `index` (draw order) with `text`, or hide them (-1);
     * `thumb`: style properties of the point's thumbnail (sprite_thumbs.js thumbStyle), or null.
     */
    setHover(index, text, project, thumb = null) {
      hoverIndex = index;
      hoverCard.hidden = hoverRing.hidden = index < 0;
      if (index < 0) return;
      hoverText.textContent = text;
      hoverThumb.hidden = !thumb;
      if (thumb) Object.assign(hoverThumb.style, thumb);
      placeHover(project);
    },
    /** Move labels and the hover card to their points; project(index, out) fills {x, y, visible}. */
    place(project, width, height) {
      placed.length = 0;
      for (const item of items) {
        project(item.index, at);
        const n = item.node;
        if (!at.visible || at.x < 0 || at.y < 0 || at.x > width || at.y > height) {
          n.hidden = true;
          continue;
        }
        const x0 = at.x + 6;
        const y0 = at.y - 16;
        const x1 = x0 + item.width;
        const y1 = at.y;
        let overlaps = false;
        // Greedy: a label that would cover a more important one is hidden.
        for (let k = 0; k < placed.length && !overlaps; k += 4) {
          overlaps = x0 < placed[k + 2] && x1 > placed[k] && y0 < placed[k + 3] && y1 > placed[k + 1];
        }
        n.hidden = overlaps && item.kind !== 'selected';
        if (n.hidden) continue;
        placed.push(x0, y0, x1, y1);
        n.style.transform = `translate(${Math.round(x0)}px, ${Math.round(y0)}px)`;
      }
      placeHover(project);
    },
    dispose() {
      for (const n of pool) n.remove();
      hoverCard.remove();
      hoverRing.remove();
      pool.length = 0;
      items = [];
    },
  };
}
