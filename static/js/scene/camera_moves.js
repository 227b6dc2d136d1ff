// Camera moves the toolbar and the mouse ask for: fit points (reset view, fit selection), focus one
// point, and a short glide to the new pose. Fits are computed from the positions (camera_fit.js).
import * as THREE from 'three';
import { fit2d, fit3d } from './camera_fit.js';

/** Where the 3D camera looks from after a reset (its direction; the distance is fitted). */
export const HOME_3D = new THREE.Vector3(0.9, 0.6, 3.0);
const CAMERA_MS = 300; // glide of a reset, fit or focus
const FIT_MARGIN = 1.08; // a fit leaves this much room around the points' box (half a dot and then some)
const FOCUS_ZOOM = 1.6; // a double-click on a point zooms in this much

/**
 * Create the mover over both cameras and their controls; `mode()` answers '2d' | '3d' (the active
 * pair), `onMove()` runs after every change of the active camera, `onGlide(active)` when a glide starts or ends.
 */
export function createCameraMoves({ perspective, orthographic, controls3d, controls2d, mode, onMove, onGlide }) {
  const tween = {
    active: false, start: 0, zoomFrom: 1, zoomTo: 1,
    posFrom: new THREE.Vector3(), posTo: new THREE.Vector3(), targetFrom: new THREE.Vector3(), targetTo: new THREE.Vector3(),
  };
  const basis = { dir: new THREE.Vector3(), right: new THREE.Vector3(), up: new THREE.Vector3() };
  const camera = (m = mode()) => (m === '2d' ? orthographic : perspective);
  const controls = (m = mode()) => (m === '2d' ? controls2d : controls3d);

  function setTween(active) {
    if (tween.active === active) return;
    tween.active = active;
    onGlide(active);
  }

  /** The pose {position, target, zoom} of camera `m` that fits draw `indices` (null = all); `home`: the 3D reset direction. */
  function fitPose(m, positions, indices, home) {
    const n = positions.length / 3;
    if (m === '2d') {
      const fit = fit2d(positions, indices, n, orthographic.right, orthographic.top, FIT_MARGIN);
      const x = fit ? fit.x : 0;
      const y = fit ? fit.y : 0;
      const zoom = fit ? Math.min(controls2d.maxZoom, Math.max(controls2d.minZoom, fit.zoom)) : 1;
      return { position: new THREE.Vector3(x, y, 5), target: new THREE.Vector3(x, y, 0), zoom };
    }
    if (home) basis.dir.copy(HOME_3D).normalize();
    else basis.dir.subVectors(perspective.position, controls3d.target).normalize();
    basis.right.crossVectors(perspective.up, basis.dir).normalize();
    basis.up.crossVectors(basis.dir, basis.right);
    const tanV = Math.tan(THREE.MathUtils.degToRad(perspective.fov / 2));
    const axes = { dir: basis.dir.toArray(), right: basis.right.toArray(), up: basis.up.toArray() };
    const fit = fit3d(positions, indices, n, axes, tanV, perspective.aspect, FIT_MARGIN, perspective.near * 2);
    if (!fit) return { position: HOME_3D.clone(), target: new THREE.Vector3(), zoom: 1 };
    const target = new THREE.Vector3().fromArray(fit.target);
    const distance = Math.min(controls3d.maxDistance, Math.max(controls3d.minDistance, fit.distance));
    return { position: target.clone().addScaledVector(basis.dir, distance), target, zoom: 1 };
  }

  /** Put camera `m` at `pose` at once. */
  function jump(m, { position, target, zoom }) {
    const cam = camera(m);
    cam.position.copy(position);
    controls(m).target.copy(target);
    cam.zoom = zoom;
    cam.updateProjectionMatrix();
    controls(m).update();
  }

  /** Glide the active camera to `pose`. */
  function glideTo({ position, target, zoom }) {
    const cam = camera();
    tween.posFrom.copy(cam.position);
    tween.targetFrom.copy(controls().target);
    tween.zoomFrom = cam.zoom;
    tween.posTo.copy(position);
    tween.targetTo.copy(target);
    tween.zoomTo = zoom;
    tween.start = performance.now();
    setTween(true);
    onMove();
  }

  return {
    /** Whether a glide is under way (the renderer keeps drawing frames). */
    get gliding() {
      return tween.active;
    },
    /** Stop a glide where it is (the user or a restored view takes the camera). */
    stop() {
      setTween(false);
    },
    /** Advance a glide to time `now` (call once per frame while gliding). */
    step(now) {
      if (!tween.active) return;
      const t = Math.min(1, Math.max(0, (now - tween.start) / CAMERA_MS));
      const e = t * t * (3 - 2 * t);
      const cam = camera();
      cam.position.lerpVectors(tween.posFrom, tween.posTo, e);
      controls().target.lerpVectors(tween.targetFrom, tween.targetTo, e);
      // Zoom glides geometrically, so a 10x zoom does not rush through its first half.
      cam.zoom = tween.zoomFrom * Math.pow(tween.zoomTo / tween.zoomFrom, e);
      cam.updateProjectionMatrix();
      controls().update();
      if (t >= 1) setTween(false);
      onMove();
    },
    /**
     * Put both cameras at their home pose for a new layout: a fixed pose that frames the [-1, 1] box
     * every layout is scaled into (points_layer buildPositions), not a fit of the points, so a run's
     * first snapshot and its final layout, shown again later, get the same camera. Reset view fits the points.
     */
    reset() {
      setTween(false);
      perspective.up.set(0, 1, 0);
      jump('2d', { position: new THREE.Vector3(0, 0, 5), target: new THREE.Vector3(), zoom: 1 });
      jump('3d', { position: HOME_3D.clone(), target: new THREE.Vector3(), zoom: 1 });
      onMove();
    },
    /** Glide to fit draw `indices` of `positions` (null = all, and in 3D from the home direction). */
    fit(positions, indices) {
      if (positions.length) glideTo(fitPose(mode(), positions, indices, !indices));
    },
    /** Glide so the point at `p` (x, y, z) is at the centre of the view, a little closer. */
    focus(p) {
      const at = new THREE.Vector3(p[0], p[1], p[2]);
      if (mode() === '2d') {
        const zoom = Math.min(controls2d.maxZoom, orthographic.zoom * FOCUS_ZOOM);
        glideTo({ position: new THREE.Vector3(at.x, at.y, orthographic.position.z), target: at, zoom });
        return;
      }
      const offset = new THREE.Vector3().subVectors(perspective.position, controls3d.target).divideScalar(FOCUS_ZOOM);
      if (offset.length() < controls3d.minDistance * 2) offset.setLength(controls3d.minDistance * 2);
      glideTo({ position: at.clone().add(offset), target: at, zoom: 1 });
    },
  };
}
