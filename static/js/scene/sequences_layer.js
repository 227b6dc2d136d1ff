// Sequences, as TensorBoard draws them from a `__seq_next__` column: one line segment from each point
// to the next point of its sequence. One LineSegments over the points' own position array (shared,
// not copied, so glides move the lines with the points), an index of draw-order pairs, one colour.
import * as THREE from 'three';

const EMPTY_INDEX = new Uint32Array(0);

/** Create the sequences layer; add `layer.object` to the scene (drawn under the points). */
export function createSequencesLayer() {
  let geometry = new THREE.BufferGeometry();
  let positions = null; // the points layer's array that `geometry` reads
  let segments = 0;
  // Opaque, so three.js draws it before the (transparent) points: lines pass under the dots.
  const material = new THREE.LineBasicMaterial({ color: 0x9aa5b1, depthTest: false, depthWrite: false });
  const object = new THREE.LineSegments(geometry, material);
  object.frustumCulled = false;
  object.renderOrder = -1;
  object.visible = false;

  function rebuild(array) {
    geometry.dispose(); // frees only this layer's GPU buffers: the array itself stays the points'
    geometry = new THREE.BufferGeometry();
    object.geometry = geometry;
    positions = array;
    if (array.length) geometry.setAttribute('position', new THREE.BufferAttribute(array, 3));
  }

  return {
    object,
    /** How many segments are drawn (0 while hidden). */
    get count() {
      return object.visible ? segments : 0;
    },
    /** Read the points' position array `array` (n x 3, draw order); call again when the points get a new one. */
    setPositions(array) {
      if (array === positions) return;
      const index = geometry.getIndex();
      rebuild(array);
      if (index) geometry.setIndex(index);
    },
    /** The shared positions changed in place (an animation step, a same-size update). */
    positionsChanged() {
      const position = geometry.getAttribute('position');
      if (position) position.needsUpdate = true;
    },
    /** Segments as draw-index pairs (a, b, a, b, ...); empty hides the layer. */
    setSegments(pairs) {
      const array = pairs.length ? pairs : EMPTY_INDEX;
      const index = geometry.getIndex();
      if (index && index.array.length === array.length) {
        index.array.set(array);
        index.needsUpdate = true;
      } else {
        geometry.setIndex(new THREE.BufferAttribute(Uint32Array.from(array), 1));
      }
      segments = array.length / 2;
    },
    /** Show the segments (when there are any) or hide them. */
    setVisible(on) {
      object.visible = !!on;
    },
    /** The lines' colour (a CSS colour from the theme). */
    setColor(color) {
      material.color.setStyle(color, THREE.LinearSRGBColorSpace); // raw sRGB, as the points' shader writes it
    },
    dispose() {
      geometry.dispose();
      material.dispose();
    },
  };
}

/**
 * The draw-index pairs of the sequences in `values` (the `__seq_next__` column, one per dataset row):
 * row r links to row values[r] when that is a whole row number other than r and both are drawn.
 * Anything else (empty, out of range, not a whole number) ends the sequence there, as in TensorBoard.
 */
export function sequencePairs(values, count, rowOf, indexOf) {
  const pairs = [];
  for (let i = 0; i < count; i++) {
    const row = rowOf(i);
    const raw = values[row];
    if (raw === null || raw === undefined || raw === '') continue;
    const next = typeof raw === 'number' ? raw : Number(raw);
    if (!Number.isInteger(next) || next === row) continue;
    const j = indexOf(next);
    if (j >= 0) pairs.push(i, j);
  }
  return Uint32Array.from(pairs);
}
