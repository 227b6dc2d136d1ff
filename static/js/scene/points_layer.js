// The point cloud: one THREE.Points over a BufferGeometry (position, pointColor) and a small
// ShaderMaterial drawing round, slightly translucent points; selected/neighbour points are bigger
// and opaque, the rest dim while something is selected. Depth testing is off (a scatter plot reads
// better without it), so the draw order decides what is on top: while something is flagged, an
// index buffer draws plain points first, then neighbours, then selected points.
// Colour and flag share one RGBA byte attribute (the flag in alpha): a million points upload 16 MB,
// not 32 MB. Four normalized bytes is a vertex format every backend reads as is; three bytes, or a
// lone byte, made ANGLE convert the buffer on the CPU before SwiftShader's first frame (+0.3-0.5 s).
import * as THREE from 'three';

/** Per-point flag values, written into the alpha byte of the `pointColor` attribute. */
export const FLAG = { NONE: 0, NEIGHBOR: 1, SELECTED: 2 };

const VERTEX = /* glsl */ `
attribute vec4 pointColor; // rgb, and the flag (FLAG) in alpha
uniform float pointSize;
uniform float sizeScale;
uniform float refDistance;
uniform float zoomScale;
uniform float anySelected;
uniform float baseAlpha;
uniform vec3 background;
varying vec3 vColor;
varying float vRing;
varying float vAlpha;
varying float vSize;
void main() {
  vec4 mv = modelViewMatrix * vec4(position, 1.0);
  gl_Position = projectionMatrix * mv;
  // 3D: nearer dots grow, but at most 2x: dollying into a cluster must pull it apart, not merge it.
  float s = pointSize * sizeScale * (refDistance > 0.0 ? clamp(refDistance / -mv.z, 0.5, 2.0) : zoomScale);
  float flag = floor(pointColor.a * 255.0 + 0.5);
  vec3 c = pointColor.rgb;
  float a = baseAlpha;
  if (flag > 1.5) { s = max(s * 2.0, 9.0); a = 1.0; }
  else if (flag > 0.5) { s = max(s * 1.5, 6.0); a = 1.0; }
  else if (anySelected > 0.5) { c = mix(c, background, 0.75); a = min(a, 0.6); }
  gl_PointSize = max(s, 2.0); // under 2 px a round dot is a faint smudge
  vColor = c;
  vAlpha = a;
  vSize = s;
  vRing = flag > 1.5 ? 1.0 : (flag > 0.5 ? 0.5 : 0.0);
}`;

const FRAGMENT = /* glsl */ `
uniform vec3 ringColor;
varying vec3 vColor;
varying float vRing;
varying float vAlpha;
varying float vSize;
void main() {
  vec2 p = gl_PointCoord * 2.0 - 1.0;
  float r = length(p);
  if (r > 1.0) discard;
  vec3 c = vColor;
  if (vRing > 0.75 && r > 0.7) c = ringColor;
  else if (vRing > 0.25 && r > 0.8) c = mix(vColor, ringColor, 0.55);
  // Soften the last pixel of the rim instead of a jagged edge.
  float edge = 1.0 - smoothstep(1.0 - 2.0 / max(vSize, 2.0), 1.0, r);
  gl_FragColor = vec4(c, vAlpha * edge);
}`;

/** Base point size in CSS pixels for a cloud of n points: big for a few, small for many. */
export function baseSize(n) {
  const s = 7 - 2 * Math.log10(Math.max(1, n) / 1000);
  return Math.min(7, Math.max(2.5, s));
}

/** Opacity of plain points: opaque for a few, translucent for many so density shows. */
export function baseAlpha(n) {
  const a = 1 - 0.25 * Math.log10(Math.max(1, n) / 300);
  return Math.min(1, Math.max(0.45, a));
}

/**
 * Map projection coordinates (row-major n x d) to scene positions (n x 3): the chosen components
 * as x, y, z (z = 0 in 2D, or when the component does not exist), centred and scaled into [-1, 1]
 * with one scale for all axes so the shape is kept.
 */
export function buildPositions(coords, axes, mode) {
  const { data, n, d } = coords;
  const used = mode === '2d' ? 2 : 3;
  const positions = new Float32Array(n * 3);
  const lo = [Infinity, Infinity, Infinity];
  const hi = [-Infinity, -Infinity, -Infinity];
  for (let a = 0; a < used; a++) {
    const comp = axes[a];
    if (comp === undefined || comp >= d) continue;
    for (let i = 0; i < n; i++) {
      const v = data[i * d + comp];
      positions[i * 3 + a] = v;
      if (v < lo[a]) lo[a] = v;
      if (v > hi[a]) hi[a] = v;
    }
  }
  let half = 0;
  const mid = [0, 0, 0];
  for (let a = 0; a < 3; a++) {
    if (lo[a] > hi[a]) continue;
    mid[a] = (lo[a] + hi[a]) / 2;
    half = Math.max(half, (hi[a] - lo[a]) / 2);
  }
  const k = half > 0 ? 1 / half : 1;
  for (let i = 0; i < n * 3; i += 3) {
    positions[i] = (positions[i] - mid[0]) * k;
    positions[i + 1] = (positions[i + 1] - mid[1]) * k;
    positions[i + 2] = (positions[i + 2] - mid[2]) * k;
  }
  return positions;
}

const EMPTY = new Float32Array(0);
const toColorByte = (v) => (v > 0 ? Math.min(255, Math.round(v * 255)) : 0); // NaN too: 0
const toFlagByte = (v) => v;

/** Create the points layer; add `layer.object` to a scene. */
export function createPointsLayer() {
  let geometry = new THREE.BufferGeometry();
  const material = new THREE.ShaderMaterial({
    vertexShader: VERTEX,
    fragmentShader: FRAGMENT,
    uniforms: {
      pointSize: { value: 4 },
      sizeScale: { value: 1 }, // the point-size control
      refDistance: { value: 0 },
      zoomScale: { value: 1 },
      anySelected: { value: 0 },
      baseAlpha: { value: 1 },
      background: { value: new THREE.Color(1, 1, 1) },
      ringColor: { value: new THREE.Color(0.12, 0.12, 0.12) }, // dark on the day theme, light at night
    },
    transparent: true,
    depthTest: false,
    depthWrite: false,
  });
  const object = new THREE.Points(geometry, material);
  object.frustumCulled = false;
  let count = 0;
  let index = null; // draw order while something is flagged: plain, then neighbours, then selected
  let indexOf = null; // the geometry `index` belongs to

  /** The RGBA bytes of `count` points (colour, flag in alpha) and whether they were just made (all zero). */
  function colorFlagBytes() {
    const existing = geometry.getAttribute('pointColor');
    if (existing && existing.array.length === count * 4) return { attr: existing, fresh: false };
    const attr = new THREE.BufferAttribute(new Uint8Array(count * 4), 4, true);
    geometry.setAttribute('pointColor', attr);
    return { attr, fresh: true };
  }

  /** Write `values` (`stride` a point, mapped by `toByte`) into bytes `from`.. of each point's four: whether any changed. */
  function writeBytes(values, stride, from, toByte) {
    const { attr, fresh } = colorFlagBytes();
    const bytes = attr.array;
    let changed = fresh;
    for (let i = 0, o = from; i < count; i++, o += 4) {
      for (let j = 0; j < stride; j++) {
        const b = toByte(values[i * stride + j]);
        if (bytes[o + j] !== b) {
          bytes[o + j] = b;
          changed = true;
        }
      }
    }
    if (changed) attr.needsUpdate = true;
    return changed;
  }

  return {
    object,
    get count() {
      return count;
    },
    /**
     * Replace the positions (n x 3), in place when n is unchanged; colours and flags must follow with
     * the same n. The layer may keep `positions` itself as its buffer: the caller hands it over.
     */
    setPositions(positions) {
      count = positions.length / 3;
      // GPU buffers cannot change size in place: a new point count gets a new geometry.
      const position = geometry.getAttribute('position');
      if (position?.count === count) {
        position.array.set(positions);
        position.needsUpdate = true;
      } else {
        // dispose() frees the geometry's index buffer only while it is attached.
        if (index && indexOf === geometry && !geometry.getIndex()) geometry.setIndex(index);
        geometry.dispose();
        geometry = new THREE.BufferGeometry();
        object.geometry = geometry;
        geometry.setAttribute('position', new THREE.BufferAttribute(positions, 3)); // no copy of a million points
      }
      geometry.setDrawRange(0, count);
      material.uniforms.pointSize.value = baseSize(count) * window.devicePixelRatio;
      material.uniforms.baseAlpha.value = baseAlpha(count);
    },
    /** The positions on screen (n x 3): the GPU buffer's own array; after writing it, call positionsChanged(). */
    get positions() {
      return geometry.getAttribute('position')?.array ?? EMPTY;
    },
    /** Upload the positions array again (it was changed in place, e.g. by an animation step). */
    positionsChanged() {
      const position = geometry.getAttribute('position');
      if (position) position.needsUpdate = true;
    },
    /** Per-point colours (n x 3, 0..1): whether they differ from the ones drawn. */
    setColors(colors) {
      return writeBytes(colors, 3, 0, toColorByte);
    },
    /** Per-point flags (see FLAG) and whether anything is selected (dims the rest): whether the drawing changes. */
    setFlags(flags, anySelected) {
      let changed = writeBytes(flags, 1, 3, toFlagByte);
      const dim = anySelected ? 1 : 0;
      changed ||= material.uniforms.anySelected.value !== dim;
      material.uniforms.anySelected.value = dim;
      const drawnIndex = geometry.getIndex();
      let flagged = false;
      for (let i = 0; i < flags.length && !flagged; i++) flagged = flags[i] !== FLAG.NONE;
      if (!flagged) {
        // Nothing on top of anything: the natural order needs no index buffer (4 bytes a point).
        if (drawnIndex) geometry.setIndex(null);
        return changed || drawnIndex !== null;
      }
      if (!changed && drawnIndex) return false;
      // One index attribute per geometry, set again when needed: a new one each time would leave
      // its predecessor's GPU buffer behind until the geometry goes.
      if (!index || index.count !== count || indexOf !== geometry) {
        index = new THREE.BufferAttribute(new Uint32Array(count), 1);
        indexOf = geometry;
      }
      let k = 0;
      for (const level of [FLAG.NONE, FLAG.NEIGHBOR, FLAG.SELECTED]) {
        for (let i = 0; i < count; i++) if (flags[i] === level) index.array[k++] = i;
      }
      index.needsUpdate = true;
      if (drawnIndex !== index) geometry.setIndex(index);
      return true;
    },
    /** Perspective: reference distance for size attenuation; orthographic: zoom factor. */
    setCameraScale(refDistance, zoomScale) {
      material.uniforms.refDistance.value = refDistance;
      material.uniforms.zoomScale.value = zoomScale;
    },
    /** Multiply the automatic dot size by `scale` (the point-size control). */
    setSizeScale(scale) {
      material.uniforms.sizeScale.value = scale;
    },
    /** The plot's background: the colour points not selected fade towards while something is. */
    setBackground(color) {
      material.uniforms.background.value.setStyle(color, THREE.LinearSRGBColorSpace); // raw sRGB, as the shader writes it
    },
    /** The colour of the selected and neighbour points' rings. */
    setRingColor(color) {
      material.uniforms.ringColor.value.setStyle(color, THREE.LinearSRGBColorSpace); // raw sRGB, as the shader writes it
    },
    dispose() {
      geometry.dispose();
      material.dispose();
    },
  };
}
