// The WebGL view: renderer, 2D/3D cameras and controls, render on demand, resize, pointer picking.
// It knows draw-order indices only; scene_controller.js maps them to dataset rows.
import * as THREE from 'three';
import { OrbitControls } from 'three/addons/controls/OrbitControls.js';
import { createPointsLayer } from './points_layer.js';
import { createSpritesLayer } from './sprites_layer.js';
import { createSequencesLayer } from './sequences_layer.js';
import { createLabelsLayer } from './labels_layer.js';
import { createFaithfulnessMarks } from './faithfulness_marks.js';
import { createClusterLabelsLayer } from './cluster_labels_layer.js';
import { createContoursLayer } from './contours_layer.js';
import { createPicker } from './picking.js';
import { createCameraMoves, HOME_3D } from './camera_moves.js';
import { createShapeOverlay } from '../tools/shape_overlay.js';
import { indicesInPolygon, indicesInRect } from '../tools/selection_geometry.js';

const BACKGROUND = '#ffffff'; // until setTheme (theme.js THEME_COLORS)
const REF_DISTANCE = HOME_3D.length();
const HALF_2D = 1.1; // half of the orthographic view, in scene units ([-1, 1] plus a margin)
const PICK_RADIUS = 8; // CSS px
const CLICK_SLOP = 5; // CSS px a click may move and still be a click
const ANIMATION_MS = 250; // glide from one layout to the next (snapshots come about this often)
const FENCE_POLL_MS = 4; // how often a draw's fence is asked whether the GPU has finished it
const PREPARE_MS = 150; // once the camera has rested this long, the picker projects and buckets the points

/** The canvas and context early_gl.js made before the modules loaded ({canvas, context}), taken once; {} otherwise. */
function takeEarlyGl() {
  const early = window.__earlyGl;
  window.__earlyGl = null;
  return early && !early.gl.isContextLost() ? { canvas: early.canvas, context: early.gl } : {};
}

/**
 * Create the view inside `container`.
 * hooks: onHover(index|-1), onClick(index, {toggle}), onShape(indices, op) after a box or lasso
 * (op: 'replace' | 'add' | 'remove'), onFocus(index) on a double-click, onDrawn(count) once the
 * GPU has finished a draw of new points, onCamera() whenever the camera moved.
 */
export function createScatterView(container, hooks) {
  // Multisampled on a GPU only (early_gl.js tells a software renderer, where it doubles a frame's cost).
  const renderer = new THREE.WebGLRenderer({ antialias: !window.__softwareGl, powerPreference: 'high-performance', ...takeEarlyGl() });
  renderer.setPixelRatio(Math.min(window.devicePixelRatio, 2));
  renderer.setClearColor(BACKGROUND, 1);
  const canvas = renderer.domElement;
  canvas.className = 'scatter-canvas';
  canvas.dataset.antialias = String(Boolean(renderer.getContext().getContextAttributes()?.antialias));
  canvas.dataset.points = '0'; // the points of the last draw issued
  canvas.dataset.shown = '0'; // the points of the last draw the GPU finished
  canvas.dataset.mode = '3d';
  canvas.dataset.animating = 'false';
  canvas.dataset.camera = 'still'; // moving while a reset, fit or focus glides
  canvas.dataset.sprites = 'off'; // off | loading | on | error | too-big
  canvas.dataset.sequences = '0'; // line segments of sequences drawn (0 when hidden)
  canvas.dataset.contours = '0'; // density contour segments drawn (0 when hidden)
  const overlay = document.createElement('div');
  overlay.className = 'scatter-overlay';
  container.append(canvas, overlay);

  const scene = new THREE.Scene();
  const contours = createContoursLayer();
  scene.add(contours.object);
  let showContours = false;
  let contoursStale = true;
  const sequences = createSequencesLayer();
  scene.add(sequences.object);
  const points = createPointsLayer();
  points.setBackground(BACKGROUND);
  scene.add(points.object);
  const sprites = createSpritesLayer({ renderer, background: BACKGROUND, onChange: () => requestRender() });
  scene.add(sprites.object);
  const labels = createLabelsLayer(overlay, {
    requestRender: () => requestOverlay(),
    screen: () => picker.screen(points.positions, points.count, camera(), width, height),
    count: () => points.count,
    mode: () => mode,
    depthScale: (index) => depthScale(index),
  });
  const picker = createPicker();
  const marks = createFaithfulnessMarks(overlay);
  const clusterLabels = createClusterLabelsLayer(overlay);
  const pointsMoved = () => {
    clusterLabels.positionsChanged();
    contoursStale = true;
  };
  const shapes = createShapeOverlay(container);

  const perspective = new THREE.PerspectiveCamera(45, 1, 0.01, 100);
  const orthographic = new THREE.OrthographicCamera(-1, 1, 1, -1, -100, 100);
  const controls3d = new OrbitControls(perspective, canvas);
  controls3d.zoomToCursor = true;
  controls3d.minDistance = 0.05;
  controls3d.maxDistance = 50;
  const controls2d = new OrbitControls(orthographic, canvas);
  controls2d.enableRotate = false;
  controls2d.zoomToCursor = true;
  controls2d.minZoom = 0.2;
  controls2d.maxZoom = 500;
  controls2d.mouseButtons = { LEFT: THREE.MOUSE.PAN, MIDDLE: THREE.MOUSE.DOLLY, RIGHT: THREE.MOUSE.PAN };
  controls2d.touches = { ONE: THREE.TOUCH.PAN, TWO: THREE.TOUCH.DOLLY_PAN };

  let mode = '3d';
  let tool = 'orbit'; // orbit | box | lasso: what a left drag does
  let pointScale = 1; // the point-size control
  let flags = new Float32Array(0);
  let width = 1;
  let height = 1;
  let frame = 0;
  let drawnPending = false;
  let drawSerial = 0; // counts draws of new positions: only the latest one's fence reports
  let hoverFrame = 0;
  // travel: the farthest the pointer got from where it was pressed (a lasso ends where it began, and is no click).
  const pointer = { x: 0, y: 0, downX: 0, downY: 0, travel: 0, down: false, inside: false, add: false, remove: false };
  const at = { x: 0, y: 0, visible: false };
  // The animation writes from + (to - from) * t into the points' own buffer; from/to are reused.
  const glide = { active: false, start: 0, from: new Float32Array(0), to: new Float32Array(0) };

  const camera = () => (mode === '2d' ? orthographic : perspective);
  const controls = () => (mode === '2d' ? controls2d : controls3d);

  // A frame redraws the WebGL picture only when something in it changed (glStale): labels, cluster
  // names and marks are HTML over it, and a software renderer takes most of a second to draw a
  // million points again for nothing.
  let glStale = true;
  let spritesWanted = false; // thumbnails asked for (setSprites)
  let sequencesShown = false; // sequence lines drawn (setSequences)
  function requestRender() {
    glStale = true;
    if (!frame) frame = requestAnimationFrame(render);
  }

  /** Place the HTML overlay (labels, cluster names, marks) again at the next frame, leaving the picture. */
  function requestOverlay() {
    if (!frame) frame = requestAnimationFrame(render);
  }

  function projectIndex(index, out) {
    return picker.project(points.positions, index, width, height, out);
  }

  /** 3D: how much nearer than the orbit target point `index` is (the perspective scale of its label). */
  function depthScale(index) {
    const p = points.positions;
    const c = perspective.position;
    const d = Math.hypot(p[index * 3] - c.x, p[index * 3 + 1] - c.y, p[index * 3 + 2] - c.z);
    return d > 0 ? c.distanceTo(controls3d.target) / d : 1;
  }

  function setAnimating(active) {
    glide.active = active;
    canvas.dataset.animating = String(active);
  }

  function step(now) {
    const t = Math.min(1, Math.max(0, (now - glide.start) / ANIMATION_MS));
    const e = t * t * (3 - 2 * t);
    const { from, to } = glide;
    const p = points.positions;
    for (let i = 0; i < p.length; i++) p[i] = from[i] + (to[i] - from[i]) * e;
    points.positionsChanged();
    sequences.positionsChanged();
    picker.invalidate();
    labels.screenChanged();
    pointsMoved();
    if (t >= 1) setAnimating(false);
  }

  function render(now) {
    frame = 0;
    const time = now ?? performance.now();
    if (glide.active) step(time);
    moves.step(time);
    const cam = camera();
    const drawGl = glStale || glide.active || moves.gliding;
    if (drawGl) {
      glStale = false;
      // 2D dots keep their on-screen size at any zoom, so zooming in pulls a dense cluster apart.
      if (mode === '3d') points.setCameraScale(REF_DISTANCE, 1);
      else points.setCameraScale(0, 1);
      // The point-size control scales thumbnails too: through the 3D reference distance, or the 2D zoom.
      points.object.visible = !sprites.bind(points.object.geometry, mode === '3d' ? REF_DISTANCE * pointScale : 0, orthographic.zoom * pointScale);
      renderer.render(scene, cam);
      canvas.dataset.sprites = sprites.status;
    }
    picker.useCamera(cam);
    labels.place(projectIndex, width, height);
    marks.place(projectIndex, width, height);
    clusterLabels.place(points.positions, points.count, picker.project, width, height);
    if (contoursStale && !glide.active) {
      contoursStale = false;
      const had = contours.count;
      contours.update(points.positions, points.count, showContours && mode === '2d');
      canvas.dataset.contours = String(contours.count);
      if (contours.count || had) requestRender(); // lines to draw, or old ones to clear
    }
    if (glide.active || moves.gliding) requestRender();
    else preparePicks();
    if (glide.active) return;
    if (drawnPending && drawGl) {
      drawnPending = false;
      canvas.dataset.points = String(points.count);
      whenFinished(points.count);
    }
  }

  // A draw is reported (data-shown, hooks.onDrawn) once the GPU has finished it, not when it is
  // issued: a software renderer takes most of a second over a million points, and the page holds
  // back reading a large dataset's metadata until then, so the two do not share the CPU.
  function whenFinished(count) {
    const serial = ++drawSerial;
    const gl = renderer.getContext();
    const report = () => {
      if (serial !== drawSerial) return; // a later draw reports instead
      canvas.dataset.shown = String(count);
      hooks.onDrawn(count);
    };
    const fence = typeof gl.fenceSync === 'function' ? gl.fenceSync(gl.SYNC_GPU_COMMANDS_COMPLETE, 0) : null;
    if (!fence) {
      report();
      return;
    }
    gl.flush();
    const poll = () => {
      // A lost context never signals: report then rather than hold the page back.
      if (!gl.isContextLost() && gl.getSyncParameter(fence, gl.SYNC_STATUS) !== gl.SIGNALED) {
        setTimeout(poll, FENCE_POLL_MS);
        return;
      }
      gl.deleteSync(fence);
      report();
    };
    poll();
  }

  // The first hover after a camera move would otherwise project a million points itself.
  let prepareTimer = 0;
  function preparePicks() {
    clearTimeout(prepareTimer);
    prepareTimer = setTimeout(() => {
      if (points.count && !pointer.down && !glide.active && !moves.gliding) picker.prepare(points.positions, points.count, camera(), width, height);
    }, PREPARE_MS);
  }

  function cameraChanged() {
    picker.invalidate();
    labels.screenChanged();
    requestRender();
    hooks.onCamera?.();
  }

  function fitOrthographic() {
    const aspect = width / height;
    const hx = aspect >= 1 ? HALF_2D * aspect : HALF_2D;
    const hy = aspect >= 1 ? HALF_2D : HALF_2D / aspect;
    Object.assign(orthographic, { left: -hx, right: hx, top: hy, bottom: -hy });
    orthographic.updateProjectionMatrix();
  }

  function resize() {
    width = Math.max(1, container.clientWidth);
    height = Math.max(1, container.clientHeight);
    renderer.setSize(width, height, false);
    perspective.aspect = width / height;
    perspective.updateProjectionMatrix();
    fitOrthographic();
    cameraChanged();
  }

  function pickAt(x, y) {
    if (points.count === 0) return -1;
    return picker.pick(points.positions, flags, points.count, camera(), width, height, x, y, sprites.pickRadius(PICK_RADIUS));
  }

  function hoverTick() {
    hoverFrame = 0;
    hooks.onHover(pointer.inside && !pointer.down ? pickAt(pointer.x, pointer.y) : -1);
  }

  /** Report the points inside the finished box or lasso (in screen space: what is drawn there). */
  function selectShape(shape) {
    const screen = picker.screen(points.positions, points.count, camera(), width, height);
    const indices = shape.kind === 'box'
      ? indicesInRect(screen, points.count, ...shape.rect)
      : indicesInPolygon(screen, points.count, shape.polygon);
    const op = pointer.add ? 'add' : pointer.remove ? 'remove' : 'replace';
    hooks.onShape(indices, op);
  }

  const clampX = (x) => Math.min(width, Math.max(0, x));
  const clampY = (y) => Math.min(height, Math.max(0, y));

  function local(event) {
    const rect = canvas.getBoundingClientRect();
    pointer.x = event.clientX - rect.left;
    pointer.y = event.clientY - rect.top;
  }

  // Shift adds; Alt, Ctrl or Cmd removes (a box/lasso) or toggles (a click); read at press and release.
  function readModifiers(event) {
    pointer.add = pointer.add || event.shiftKey;
    pointer.remove = pointer.remove || event.altKey || event.ctrlKey || event.metaKey;
  }

  const listeners = {
    pointermove(event) {
      local(event);
      pointer.inside = true;
      if (pointer.down) pointer.travel = Math.max(pointer.travel, Math.hypot(pointer.x - pointer.downX, pointer.y - pointer.downY));
      if (shapes.active) shapes.extend(clampX(pointer.x), clampY(pointer.y));
      // Picked now, not at the next frame: chromium already delivers one (coalesced) move per frame,
      // and waiting for another frame doubled the hover's delay where frames are slow (software GL).
      cancelAnimationFrame(hoverFrame);
      hoverTick();
    },
    pointerdown(event) {
      local(event);
      Object.assign(pointer, { down: true, downX: pointer.x, downY: pointer.y, travel: 0, add: false, remove: false });
      readModifiers(event);
      moves.stop(); // the user takes the camera
      if (event.button === 0 && tool !== 'orbit') {
        canvas.setPointerCapture(event.pointerId);
        shapes.begin(tool, pointer.x, pointer.y);
      }
    },
    pointerup(event) {
      local(event);
      const wasDown = pointer.down;
      pointer.down = false;
      readModifiers(event);
      if (shapes.active) shapes.extend(clampX(pointer.x), clampY(pointer.y));
      const shape = shapes.active ? shapes.finish() : null;
      if (!wasDown || event.button !== 0) return;
      pointer.travel = Math.max(pointer.travel, Math.hypot(pointer.x - pointer.downX, pointer.y - pointer.downY));
      if (pointer.travel > CLICK_SLOP) {
        if (shape) selectShape(shape);
        return;
      }
      const index = pickAt(pointer.x, pointer.y);
      if (index >= 0) hooks.onClick(index, { toggle: pointer.add || pointer.remove });
    },
    pointercancel() {
      pointer.down = false;
      shapes.cancel();
    },
    pointerleave() {
      pointer.inside = false;
      if (!shapes.active) pointer.down = false;
      if (!hoverFrame) hoverFrame = requestAnimationFrame(hoverTick);
    },
    dblclick(event) {
      local(event);
      const index = pickAt(pointer.x, pointer.y);
      if (index < 0) return;
      const p = points.positions;
      moves.focus([p[index * 3], p[index * 3 + 1], p[index * 3 + 2]]);
      hooks.onFocus(index);
    },
  };

  /** In box and lasso modes a left drag draws the shape, so the controls leave the left button (and one finger) alone. */
  function applyTool() {
    const left = tool === 'orbit';
    controls3d.mouseButtons.LEFT = left ? THREE.MOUSE.ROTATE : null;
    controls2d.mouseButtons.LEFT = left ? THREE.MOUSE.PAN : null;
    controls3d.touches.ONE = left ? THREE.TOUCH.ROTATE : null;
    controls2d.touches.ONE = left ? THREE.TOUCH.PAN : null;
    canvas.dataset.tool = tool;
  }
  for (const [name, fn] of Object.entries(listeners)) canvas.addEventListener(name, fn);
  controls3d.addEventListener('change', cameraChanged);
  controls2d.addEventListener('change', cameraChanged);
  const observer = new ResizeObserver(resize);
  observer.observe(container);

  function setMode(next) {
    mode = next;
    contoursStale = true;
    controls3d.enabled = mode === '3d';
    controls2d.enabled = mode === '2d';
    canvas.dataset.mode = mode;
    cameraChanged();
  }
  const moves = createCameraMoves({
    perspective, orthographic, controls3d, controls2d, mode: () => mode, onMove: cameraChanged,
    onGlide: (active) => { canvas.dataset.camera = active ? 'moving' : 'still'; },
  });
  setMode('3d');
  applyTool();
  resize();
  moves.reset();

  return {
    canvas,
    /**
     * Draw these positions (n x 3): glide there from the current ones when `animate` and the point
     * count is unchanged, else jump; reset the camera when the view is a new one.
     */
    setPositions(next, { resetCamera: reset = false, animate = false } = {}) {
      if (animate && points.count > 0 && points.positions.length === next.length) {
        if (glide.from.length !== next.length) {
          glide.from = new Float32Array(next.length);
          glide.to = new Float32Array(next.length);
        }
        glide.from.set(points.positions);
        glide.to.set(next);
        glide.start = performance.now();
        setAnimating(true);
      } else {
        setAnimating(false);
        points.setPositions(next);
        sequences.setPositions(points.positions);
        sequences.positionsChanged();
        pointsMoved();
      }
      drawnPending = true;
      drawSerial++; // a draw issued before these positions must not report them as drawn
      if (reset) moves.reset();
      cameraChanged();
    },
    setColors(colors) {
      if (points.setColors(colors)) requestRender(); // a frame of a million points is not free
    },
    /** Theme colours of the plot ({background, ring} as CSS colours, see theme.js THEME_COLORS). */
    setTheme({ background, ring, sequence }) {
      renderer.setClearColor(background, 1);
      points.setBackground(background);
      points.setRingColor(ring);
      sprites.setBackground(background);
      sequences.setColor(sequence);
      contours.setColor(sequence);
      canvas.dataset.background = background;
      requestRender();
    },
    setFlags(next, anySelected) {
      flags = next;
      const changed = points.setFlags(next, anySelected);
      sprites.setAnySelected(anySelected);
      if (changed) requestRender();
    },
    /** The dataset's sprite sheet (or null) for the points drawn, which are dataset `rows`; see sprites_layer show(). */
    setSprites(sheet, rows, tint, on) {
      sprites.show(sheet, rows, points.count, tint, on);
      const wanted = !!sheet && on;
      if (wanted || spritesWanted) requestRender(); // no thumbnails before or after: the picture stays
      spritesWanted = wanted;
    },
    /** Sequence segments as draw-index pairs (see sequences_layer sequencePairs), shown when `on`. */
    setSequences(pairs, on) {
      const shown = on && pairs.length > 0;
      sequences.setSegments(pairs);
      if (shown || sequencesShown) requestRender(); // hidden before and after: the picture stays
      sequencesShown = shown;
      sequences.setVisible(shown);
      canvas.dataset.sequences = String(sequences.count);
    },
    /** Labels first in line (see labels_layer setLabels) and the label options (setOptions). */
    setLabels(list, options) {
      labels.setOptions(options);
      labels.setLabels(list);
      requestOverlay();
    },
    /** Cluster names: `names` by cluster id, `codes` the cluster of each draw index (< 0 none; null: no clusters). */
    setClusterLabels(codes, names) {
      clusterLabels.setClusters(codes, names);
      requestOverlay();
    },
    /** Draw the density contours of the points under them (2D only). */
    setContours(on) {
      if (on === showContours) return;
      showContours = on;
      contoursStale = true;
      requestRender();
    },
    /** Hover is drawn in the HTML overlay, so it needs no WebGL render; `thumb`: see labels.setHover. */
    setHover(index, text, thumb = null) {
      picker.useCamera(camera());
      labels.setHover(index, text, projectIndex, thumb);
    },
    /** Faithfulness rings: [{index, kind: 'false' | 'missed'}] around draw index `selected` (see faithfulness_marks.js). */
    setMarks(list, selected = -1) {
      marks.setMarks(list, selected);
      requestOverlay();
    },
    setMode(next) {
      if (next !== mode) setMode(next);
    },
    /** What a left drag does: 'orbit' (the camera) | 'box' | 'lasso' (draw a selection shape). */
    setTool(next) {
      if (next === tool) return;
      tool = next;
      shapes.cancel();
      applyTool();
    },
    /** Multiply every dot's size by `scale` (the point-size control). */
    setPointScale(scale) {
      pointScale = scale;
      points.setSizeScale(scale);
      requestRender();
    },
    /** Glide to fit draw `indices` (null = every point drawn; from the home direction in 3D). */
    fit(indices) {
      moves.fit(glide.active ? glide.to : points.positions, indices);
    },
    /** Screen position of point `index` in page (client) CSS pixels, or null when off screen. */
    clientPositionOf(index) {
      if (index < 0 || index >= points.count) return null;
      picker.useCamera(camera());
      picker.project(points.positions, index, width, height, at);
      if (!at.visible || at.x < 0 || at.y < 0 || at.x > width || at.y > height) return null;
      const rect = canvas.getBoundingClientRect();
      return { x: rect.left + at.x, y: rect.top + at.y };
    },
    /** The active camera's pose: {position: [x, y, z], target: [x, y, z], zoom}. */
    getCamera() {
      return { position: camera().position.toArray(), target: controls().target.toArray(), zoom: camera().zoom };
    },
    /** Put the active camera at `pose` (as getCamera gives it, maybe in another browser). */
    setCamera({ position, target, zoom }) {
      moves.stop();
      const cam = camera();
      cam.position.fromArray(position);
      controls().target.fromArray(target);
      cam.zoom = zoom;
      cam.updateProjectionMatrix();
      controls().update();
      cameraChanged();
    },
    requestRender,
    /** Whether the points are gliding to new positions. */
    get animating() {
      return glide.active;
    },
    dispose() {
      clearTimeout(prepareTimer);
      cancelAnimationFrame(frame);
      cancelAnimationFrame(hoverFrame);
      observer.disconnect();
      for (const [name, fn] of Object.entries(listeners)) canvas.removeEventListener(name, fn);
      controls3d.dispose();
      controls2d.dispose();
      points.dispose();
      sequences.dispose();
      sprites.dispose();
      labels.dispose();
      marks.dispose();
      clusterLabels.dispose();
      contours.dispose();
      shapes.dispose();
      renderer.dispose();
      canvas.remove();
      overlay.remove();
    },
  };
}
