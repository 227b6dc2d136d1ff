// Cluster names on the map: one HTML label per cluster at the centre (mean position) of its
// points as drawn, at a constant pixel size whatever the zoom. Biggest clusters first; a label
// that would overlap one already placed is hidden, so names never pile up. Text via textContent.

const PAD = 4; // px kept free around a placed label

/** Create the layer in `overlay` (the scatter view's HTML overlay). */
export function createClusterLabelsLayer(overlay) {
  const root = document.createElement('div');
  root.className = 'cluster-labels';
  overlay.append(root);
  let codes = null; // Int32Array per draw index: cluster id, < 0 none
  let names = [];
  let nodes = [];
  let centres = new Float32Array(0); // x, y, z per cluster
  let counts = new Float64Array(0);
  let stale = true;
  const at = { x: 0, y: 0, visible: false };

  function computeCentres(positions, count) {
    const k = names.length;
    const sums = new Float64Array(k * 3);
    counts = new Float64Array(k);
    for (let i = 0; i < count && codes && i < codes.length; i++) {
      const c = codes[i];
      if (c < 0 || c >= k) continue;
      counts[c]++;
      sums[c * 3] += positions[i * 3];
      sums[c * 3 + 1] += positions[i * 3 + 1];
      sums[c * 3 + 2] += positions[i * 3 + 2];
    }
    centres = new Float32Array(k * 3);
    for (let c = 0; c < k; c++) for (let j = 0; j < 3; j++) centres[c * 3 + j] = counts[c] ? sums[c * 3 + j] / counts[c] : 0;
    stale = false;
  }

  return {
    /** Show `labels` (names by cluster id) for points whose draw index i is in cluster codes[i] (null: none). */
    setClusters(nextCodes, labels) {
      codes = nextCodes;
      names = nextCodes ? labels : [];
      nodes = names.map((name, c) => {
        const node = document.createElement('div');
        node.className = 'cluster-label';
        node.dataset.cluster = String(c);
        node.textContent = name;
        return node;
      });
      root.replaceChildren(...nodes);
      stale = true;
    },
    /** The points moved (a new layout, a glide step): the centres are recomputed on the next place(). */
    positionsChanged() {
      stale = true;
    },
    /** Place the labels; `project(array, index, width, height, out)` is the picker's projection. */
    place(positions, count, project, width, height) {
      if (!nodes.length) return;
      if (stale) computeCentres(positions, count);
      const order = [...nodes.keys()].sort((a, b) => counts[b] - counts[a]);
      const placed = [];
      for (const c of order) {
        const node = nodes[c];
        project(centres, c, width, height, at);
        const w = node.offsetWidth;
        const h = node.offsetHeight;
        const box = { x0: at.x - w / 2 - PAD, y0: at.y - h / 2 - PAD, x1: at.x + w / 2 + PAD, y1: at.y + h / 2 + PAD };
        const onScreen = counts[c] > 0 && at.visible && at.x >= 0 && at.y >= 0 && at.x <= width && at.y <= height;
        const free = onScreen && !placed.some((p) => p.x0 < box.x1 && box.x0 < p.x1 && p.y0 < box.y1 && box.y0 < p.y1);
        node.hidden = !free;
        if (!free) continue;
        placed.push(box);
        node.style.transform = `translate(${Math.round(at.x - w / 2)}px, ${Math.round(at.y - h / 2)}px)`;
      }
    },
    dispose() {
      root.remove();
    },
  };
}
