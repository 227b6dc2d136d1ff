// Cluster names on the map: one HTML label per cluster at the centre (mean position) of its
// points as drawn, at a constant pixel size whatever the zoom. Biggest clusters first; a label
// that would overlap one already placed is hidden, so names never pile up; a label near the edge is
// pushed inside the plot rather than cut off. Text via textContent.

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
  let sizes = new Float32Array(0); // width, height per cluster, 0 until measured
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
    sizes.fill(0); // a new layout may come with a new theme or font: measure again
    for (let c = 0; c < k; c++) for (let j = 0; j < 3; j++) centres[c * 3 + j] = counts[c] ? sums[c * 3 + j] / counts[c] : 0;
    stale = false;
  }

  // A hidden node measures 0 x 0, so its size is taken while shown and kept: otherwise a label hidden
  // once would count as a point and be shown again over its neighbour.
  function measure(c) {
    if (!sizes[c * 2]) {
      nodes[c].hidden = false;
      sizes[c * 2] = nodes[c].offsetWidth;
      sizes[c * 2 + 1] = nodes[c].offsetHeight;
    }
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
      sizes = new Float32Array(nodes.length * 2);
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
        const onScreen = counts[c] > 0 && at.visible && at.x >= 0 && at.y >= 0 && at.x <= width && at.y <= height;
        if (!onScreen) {
          node.hidden = true;
          continue;
        }
        measure(c);
        const w = sizes[c * 2];
        const h = sizes[c * 2 + 1];
        // Centred on the cluster, then clamped inside the plot (a name wider than it starts at its left).
        const left = Math.round(Math.max(0, Math.min(width - w, at.x - w / 2)));
        const top = Math.round(Math.max(0, Math.min(height - h, at.y - h / 2)));
        const box = { x0: left - PAD, y0: top - PAD, x1: left + w + PAD, y1: top + h + PAD };
        const free = !placed.some((p) => p.x0 < box.x1 && box.x0 < p.x1 && p.y0 < box.y1 && box.y0 < p.y1);
        node.hidden = !free;
        if (!free) continue;
        placed.push(box);
        node.style.transform = `translate(${left}px, ${top}px)`;
      }
    },
    dispose() {
      root.remove();
    },
  };
}
