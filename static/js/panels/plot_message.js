// Messages on the plot itself: while a dataset loads and its PCA runs, what is happening
// ("Loaded 20,000 points. Computing PCA… 40%") instead of a blank area, then a short
// confirmation that fades ("Showing 20,000 points"); and the one-line hint of a first view,
// until the first interaction with the plot.
import { byId } from '../dom.js';

const CONFIRM_MS = 2000; // how long the confirmation stays before it fades
const FADE_MS = 600; // matches the opacity transition in map_messages.css
const HINTS = {
  '3d': 'Drag to orbit · scroll to zoom · click a point · search by word',
  '2d': 'Drag to pan · scroll to zoom · click a point · search by word',
};

/** "20,000 points" (or "1 point"). */
export function pointsText(n) {
  return `${n.toLocaleString('en-US')} ${n === 1 ? 'point' : 'points'}`;
}

/** Wire #plot-message and #first-hint to the store; a pointer or wheel on the plot dismisses the hint. */
export function mountPlotMessage(store, actions) {
  const message = byId('plot-message');
  const hint = byId('first-hint');
  let working = false; // a load or a PCA was shown: the next ready view gets a confirmation
  let confirmTimer = 0;
  let fadeTimer = 0;

  function stopTimers() {
    clearTimeout(confirmTimer);
    clearTimeout(fadeTimer);
    confirmTimer = 0;
    fadeTimer = 0;
  }

  function showText(text, kind) {
    message.textContent = text;
    message.dataset.kind = kind;
    message.classList.remove('fading');
    message.hidden = false;
    hint.hidden = true;
  }

  function confirm(n) {
    stopTimers();
    showText(`Showing ${pointsText(n)}`, 'done');
    confirmTimer = setTimeout(() => {
      message.classList.add('fading');
      fadeTimer = setTimeout(() => {
        message.hidden = true;
        message.classList.remove('fading');
        renderHint();
      }, FADE_MS);
    }, CONFIRM_MS);
  }

  function renderMessage({ phase, status, coords }) {
    if (phase === 'loading' || phase === 'computing') {
      stopTimers();
      // Between the PCA's end and the first frame the status is idle: the last words stay.
      if (status.message || !working || message.hidden) showText(status.message || 'Loading…', 'working');
      working = true;
    } else if (phase === 'ready' && working && coords) {
      working = false;
      confirm(coords.n);
    } else if (phase !== 'ready') {
      // An error: the banner in the top bar says what went wrong.
      working = false;
      stopTimers();
      message.hidden = true;
      renderHint();
    }
  }

  function renderHint() {
    const { firstHint, phase, coords, selection, camera } = store.get();
    hint.textContent = HINTS[camera.mode] ?? HINTS['3d'];
    // It takes the confirmation's corner once that has gone.
    hint.hidden = !(firstHint && phase === 'ready' && coords && selection.length === 0 && message.hidden);
  }

  const scene = byId('scene');
  const dismiss = () => actions.dismissFirstHint();
  // Capture: the scene's own handlers may stop the events they use.
  scene.addEventListener('pointerdown', dismiss, { capture: true, passive: true });
  scene.addEventListener('wheel', dismiss, { capture: true, passive: true });

  store.subscribe(['phase', 'status', 'coords'], renderMessage);
  store.subscribe(['firstHint', 'phase', 'coords', 'selection', 'camera'], renderHint);
  renderMessage(store.get());
  renderHint();
}
