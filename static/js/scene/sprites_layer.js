// Thumbnails instead of points: one THREE.Points over the points layer's own geometry (the same
// position, colour-and-flag and draw-order buffers, so every layout, 2D/3D and animation applies
// as is), with the dataset's sprite sheet as ONE texture atlas. A per-point `spriteCell`
// attribute (column, row of the sheet) tells the fragment shader which cell to sample; the
// selected point and its neighbours get a coloured frame, the rest dim while something is selected.
import * as THREE from 'three';

const VERTEX = /* glsl */ `
attribute vec4 pointColor; // the points layer's: rgb, and the flag in alpha
attribute vec2 spriteCell;
uniform float spriteSize;
uniform float refDistance;
uniform float zoomScale;
uniform float tintAmount;
varying vec2 vCell;
varying vec3 vTint;
varying float vFlag;
varying float vSize;
void main() {
  vec4 mv = modelViewMatrix * vec4(position, 1.0);
  gl_Position = projectionMatrix * mv;
  // Like TensorBoard, thumbnails grow as you zoom in (further than points do).
  float s = spriteSize * (refDistance > 0.0 ? clamp(refDistance / -mv.z, 0.4, 8.0) : zoomScale);
  float flag = floor(pointColor.a * 255.0 + 0.5);
  if (flag > 1.5) s *= 1.5;
  else if (flag > 0.5) s *= 1.2;
  gl_PointSize = s;
  vCell = spriteCell;
  vTint = mix(vec3(1.0), pointColor.rgb, tintAmount);
  vFlag = flag;
  vSize = s;
}`;

const FRAGMENT = /* glsl */ `
uniform sampler2D atlas;
uniform vec2 cellUv;   // one cell's size as a fraction of the sheet
uniform vec2 cellPx;   // one cell's size in sheet pixels
uniform vec2 fit;      // the part of the square point the (maybe not square) cell fills
uniform float anySelected;
uniform float pixelRatio;
uniform vec3 background;
varying vec2 vCell;
varying vec3 vTint;
varying float vFlag;
varying float vSize;
void main() {
  vec2 p = gl_PointCoord; // (0, 0) = top left, as in the sheet (uploaded without flipY)
  float border = (vFlag > 1.5 ? 3.0 : 2.0) * pixelRatio / vSize;
  bool frame = vFlag > 0.5 && min(min(p.x, p.y), min(1.0 - p.x, 1.0 - p.y)) < border;
  if (frame) {
    gl_FragColor = vec4(vFlag > 1.5 ? vec3(0.90, 0.32, 0.0) : vec3(0.98, 0.60, 0.20), 1.0);
    return;
  }
  vec2 q = (p - 0.5) / fit + 0.5;
  if (q.x < 0.0 || q.y < 0.0 || q.x > 1.0 || q.y > 1.0) discard;
  // Half a texel in from the cell's edge, so a neighbouring image never bleeds in.
  q = clamp(q, 0.5 / cellPx, 1.0 - 0.5 / cellPx);
  vec4 texel = texture2D(atlas, (vCell + q) * cellUv);
  vec3 c = texel.rgb * vTint;
  float a = texel.a;
  if (vFlag < 0.5 && anySelected > 0.5) {
    c = mix(c, background, 0.7);
    a *= 0.6;
  }
  if (a < 0.02) discard;
  gl_FragColor = vec4(c, a);
}`;

/** Thumbnail size in CSS px for a cloud of n points: about 32 for a few, 24 for 2k, smaller for many. */
export function baseSpriteSize(n) {
  const s = 44 - 6 * Math.log10(Math.max(1, n));
  return Math.min(32, Math.max(12, s));
}

/**
 * Sheet cell of every drawn point, (column, row) pairs: draw index i shows dataset row rows[i]
 * (or i when rows is null), whose image is at column row % perRow, row floor(row / perRow).
 */
export function spriteCells(rows, count, perRow) {
  const cells = new Float32Array(count * 2);
  for (let i = 0; i < count; i++) {
    const row = rows ? rows[i] : i;
    cells[i * 2] = row % perRow;
    cells[i * 2 + 1] = Math.floor(row / perRow);
  }
  return cells;
}

/**
 * Create the layer for `renderer` (its pixel ratio; its GPU's texture size limit: a bigger sheet
 * cannot be one texture, and the view keeps drawing points) on a `background` colour; add
 * `layer.object` to the scene. onChange() is called when the sheet has loaded (or failed), so the
 * view can draw again.
 */
export function createSpritesLayer({ renderer, background, onChange }) {
  const maxTextureSize = renderer.capabilities.maxTextureSize;
  const material = new THREE.ShaderMaterial({
    vertexShader: VERTEX,
    fragmentShader: FRAGMENT,
    uniforms: {
      atlas: { value: null },
      cellUv: { value: new THREE.Vector2(1, 1) },
      cellPx: { value: new THREE.Vector2(1, 1) },
      fit: { value: new THREE.Vector2(1, 1) },
      spriteSize: { value: 24 },
      refDistance: { value: 0 },
      zoomScale: { value: 1 },
      tintAmount: { value: 0 },
      anySelected: { value: 0 },
      pixelRatio: { value: 1 },
      background: { value: new THREE.Color(background) },
    },
    transparent: true,
    depthTest: false,
    depthWrite: false,
  });
  const object = new THREE.Points(new THREE.BufferGeometry(), material);
  object.frustumCulled = false;
  object.visible = false;
  const placeholder = object.geometry; // never drawn; disposed with the layer

  let wanted = false; // thumbnails asked for (the dataset has a sheet and the toggle is on)
  let sheet = null; // the sprite description {url, width, height, cell_width, cell_height, per_row}
  let texture = null;
  let state = 'off'; // off | loading | on | error | too-big
  let loadToken = 0;
  let cellAttr = null; // THREE.BufferAttribute of (column, row) pairs
  let cellKey = { rows: undefined, count: -1, perRow: 0 };

  function dropTexture() {
    loadToken++;
    texture?.dispose();
    texture = null;
    material.uniforms.atlas.value = null;
  }

  function load(next) {
    dropTexture();
    sheet = next;
    if (!sheet) {
      state = 'off';
      return;
    }
    if (sheet.width > maxTextureSize || sheet.height > maxTextureSize) {
      state = 'too-big';
      console.warn(`sprite sheet ${sheet.width}×${sheet.height} exceeds this GPU's ${maxTextureSize} px textures; drawing points`);
      return;
    }
    state = 'loading';
    const token = loadToken;
    const { cell_width: cw, cell_height: ch, width, height } = sheet;
    material.uniforms.cellUv.value.set(cw / width, ch / height);
    material.uniforms.cellPx.value.set(cw, ch);
    material.uniforms.fit.value.set(cw / Math.max(cw, ch), ch / Math.max(cw, ch));
    new THREE.TextureLoader().load(
      sheet.url,
      (tex) => {
        if (token !== loadToken) {
          tex.dispose();
          return;
        }
        // One upload, no mipmaps: nearest when magnified keeps pixel art crisp.
        tex.flipY = false;
        tex.generateMipmaps = false;
        tex.magFilter = THREE.NearestFilter;
        tex.minFilter = THREE.LinearFilter;
        tex.wrapS = tex.wrapT = THREE.ClampToEdgeWrapping;
        tex.needsUpdate = true;
        texture = tex;
        material.uniforms.atlas.value = tex;
        state = 'on';
        onChange();
      },
      undefined,
      () => {
        if (token !== loadToken) return;
        state = 'error';
        console.warn(`could not load the sprite sheet ${sheet.url}; drawing points`);
        onChange();
      },
    );
  }

  /** Use this sprite sheet (the dataset's `sprite` description), or none (null). */
  function setSheet(next) {
    if (next?.url === sheet?.url && next?.width === sheet?.width && next?.per_row === sheet?.per_row) return;
    cellKey = { rows: undefined, count: -1, perRow: 0 };
    load(next);
  }

  /** The dataset rows drawn, in draw order (null = row i at index i), and how many. */
  function setRows(rows, count) {
    if (!sheet) return;
    const perRow = sheet.per_row;
    if (cellKey.rows === rows && cellKey.count === count && cellKey.perRow === perRow) return;
    cellKey = { rows, count, perRow };
    const cells = spriteCells(rows, count, perRow);
    if (cellAttr && cellAttr.count === count) {
      // Same point count, same geometry: refill the buffer instead of leaving an orphan on the GPU.
      cellAttr.array.set(cells);
      cellAttr.needsUpdate = true;
    } else {
      cellAttr = new THREE.BufferAttribute(cells, 2);
    }
  }

  return {
    object,
    /**
     * For the canvas's data-sprites: 'on' once a render drew thumbnails, 'off' when none are asked
     * for, else why not yet or not at all: 'loading' | 'error' | 'too-big'.
     */
    get status() {
      if (!wanted) return 'off';
      if (object.visible) return 'on';
      return state === 'on' ? 'loading' : state;
    },
    /**
     * Use sheet `next` (a dataset's sprite description; null = none) for the `count` points drawn,
     * which are dataset `rows` (null = row i at index i), and draw thumbnails when `on` (the sheet
     * stays loaded while they are off); `tint` 0..1 mixes in the point colours.
     */
    show(next, rows, count, tint, on) {
      wanted = !!next && on;
      setSheet(next);
      setRows(rows, count);
      const pixelRatio = renderer.getPixelRatio();
      material.uniforms.spriteSize.value = baseSpriteSize(count) * pixelRatio;
      material.uniforms.pixelRatio.value = pixelRatio;
      material.uniforms.tintAmount.value = tint;
    },
    /**
     * Call before each render: draw over `geometry` (the points layer's current one) when wanted
     * and ready; answers whether thumbnails are drawn (then the points are not). The cell attribute
     * joins that geometry, so it follows it when a new point count replaces it. Sizes follow the
     * camera: refDistance (perspective; 0 = orthographic) or the orthographic zoom.
     */
    bind(geometry, refDistance, zoom) {
      material.uniforms.refDistance.value = refDistance;
      material.uniforms.zoomScale.value = Math.min(8, Math.max(0.4, zoom));
      const count = geometry.getAttribute('position')?.count ?? 0;
      const on = wanted && state === 'on' && !!cellAttr && cellAttr.count === count && count > 0;
      object.visible = on;
      if (!on) return false;
      if (object.geometry !== geometry) object.geometry = geometry;
      if (geometry.getAttribute('spriteCell') !== cellAttr) geometry.setAttribute('spriteCell', cellAttr);
      return true;
    },
    /** The pick radius in CSS px: `points` for points, half a thumbnail when they are drawn (a click anywhere on it picks it). */
    pickRadius(points) {
      if (!object.visible) return points;
      const u = material.uniforms;
      const scale = u.refDistance.value > 0 ? 1 : u.zoomScale.value;
      return Math.max(points, (u.spriteSize.value * scale) / u.pixelRatio.value / 2);
    },
    setAnySelected(any) {
      material.uniforms.anySelected.value = any ? 1 : 0;
    },
    /** The plot's background (the theme's), which dimmed thumbnails fade towards. */
    setBackground(color) {
      material.uniforms.background.value.setStyle(color, THREE.LinearSRGBColorSpace); // raw sRGB, as the shader writes it
    },
    dispose() {
      dropTexture();
      placeholder.dispose();
      material.dispose();
    },
  };
}
