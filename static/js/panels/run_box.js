// A method tab's run box: Run and Stop, the server's error next to them, a progress bar, the
// "Iteration N / M" or "Epoch N / M" counter, the stage, the queue position and the elapsed time.
import { el } from '../dom.js';
import { METHOD_NAMES } from '../projection_params.js';
import { currentRun, formDimensions, otherResult, ownResult } from '../results.js';
import { isActive } from '../projection_runs.js';

const TICK_MS = 200;

// Progress "stage" names the projections report, in words; unknown ones are shown as they come.
const STAGES = {
  affinities: 'computing affinities', // t-SNE
  optimize: 'optimizing',
  neighbors: 'building neighbour graph', // UMAP
  embedding: 'optimizing layout',
  matching: 'matching patterns', // Custom
  project: 'projecting',
  done: 'finishing',
};

/** Words for a progress stage ("computing affinities"), or ''. */
export function stageText(stage) {
  if (!stage) return '';
  return STAGES[stage] ?? String(stage).replace(/_/g, ' ');
}

/** "Iteration 120 / 750" (t-SNE) or "Epoch 12 / 200" (UMAP) from a job's info, or ''. */
export function counterText(info) {
  if (!info) return '';
  if (info.iterations !== undefined) return `Iteration ${info.iteration ?? 0} / ${info.iterations}`;
  if (info.epochs !== undefined) return `Epoch ${info.epoch ?? 0} / ${info.epochs}`;
  return '';
}

/** The run box's state word: idle | starting | queued | running | done | cancelled | failed | error. */
export function runState(run) {
  if (!run) return 'idle';
  if (run.starting) return 'starting';
  if (run.job) return run.job.status;
  return run.error ? 'error' : 'idle';
}

function stateText(state, run, view, method) {
  const job = run?.job;
  switch (runState(run)) {
    case 'starting': return 'Starting…';
    case 'queued': return job.queue_position ? `Queued (position ${job.queue_position})` : 'Queued';
    case 'running': {
      let stage = stageText(job.info?.stage);
      if (stage && job.info?.phase === 'early') stage += ' (early exaggeration)';
      return stage ? `${stage[0].toUpperCase()}${stage.slice(1)}…` : 'Running…';
    }
    case 'done':
      // Custom: an axis end without a pattern is a random vector, as in TensorBoard.
      if (!job.extras?.random?.length) return 'Done';
      return `Done · ${job.extras.random.map((e) => e[0].toUpperCase() + e.slice(1)).join(' and ')}: a random direction`;
    case 'cancelled': return 'Stopped';
    case 'failed': return 'Failed';
    default:
      if (ownResult(state, method) || !view) return '';
      // The Dimension toggle went to a layout not computed yet (the other one stays on screen).
      if (otherResult(state, method)) return `Press Run to compute the ${formDimensions(state, method)}D layout.`;
      return `Press Run to lay out these ${view.n} points with ${METHOD_NAMES[method]}.`;
  }
}

/** Build the run box of `method` inside `root` and keep it in step with the store. */
export function mountRunBox(root, method, store, actions) {
  const run = el('button', { type: 'button', className: 'primary', id: `${method}-run`, onclick: () => actions.runProjection(method) }, 'Run');
  const stop = el('button', { type: 'button', id: `${method}-stop`, onclick: () => actions.stopProjection(method) }, 'Stop');
  const elapsed = el('span', { className: 'run-elapsed', id: `${method}-elapsed` });
  const error = el('div', { className: 'run-error', id: `${method}-error`, attrs: { role: 'alert' }, hidden: true });
  const fill = el('div', { className: 'progress-fill' });
  const bar = el('div', { className: 'progress', id: `${method}-progress`, attrs: { role: 'progressbar', 'aria-valuemin': 0, 'aria-valuemax': 100, 'aria-label': `${METHOD_NAMES[method]} progress` } }, fill);
  const counter = el('span', { className: 'run-counter', id: `${method}-counter` });
  const kl = el('span', { className: 'run-kl', id: `${method}-kl` });
  const status = el('div', { className: 'run-state', id: `${method}-state`, attrs: { 'aria-live': 'polite' } });
  const iterative = method !== 'custom';
  const line = el('div', { className: 'run-line' }, counter, kl);
  const meter = el('div', { className: 'run-meter' }, bar, line);
  const parts = [el('div', { className: 'run-buttons' }, run, iterative ? stop : null, elapsed), error, iterative ? meter : null, status];
  root.replaceChildren(...parts.filter(Boolean));
  let ticker = 0;

  function renderElapsed() {
    const r = currentRun(store.get(), method);
    const job = r?.job;
    if (!job || job.elapsed === null || job.elapsed === undefined) {
      elapsed.textContent = '';
      return;
    }
    // The server reports elapsed time with each status; between statuses the clock runs here.
    const since = job.status === 'running' ? Math.max(0, (performance.now() - r.receivedAt) / 1000) : 0;
    elapsed.textContent = `${(job.elapsed + since).toFixed(1)} s`;
  }

  function render(state) {
    const r = currentRun(state, method);
    const job = r?.job ?? null;
    const phase = runState(r);
    root.dataset.state = phase;
    run.disabled = isActive(r) || !state.dataset || !state.coords;
    stop.disabled = !job || !isActive(r);
    error.hidden = !r?.error;
    error.textContent = r?.error ?? '';
    const fraction = phase === 'done' ? 1 : job?.progress ?? 0;
    fill.style.width = `${(fraction * 100).toFixed(1)}%`;
    bar.setAttribute('aria-valuenow', String(Math.round(fraction * 100)));
    bar.classList.toggle('active', phase === 'running' || phase === 'queued' || phase === 'starting');
    meter.hidden = !job; // nothing to measure before the first run
    counter.textContent = counterText(job?.info);
    kl.textContent = typeof job?.info?.kl === 'number' ? `KL ${job.info.kl.toFixed(3)}` : '';
    status.textContent = stateText(state, r, state.coords, method);
    status.classList.toggle('invite', phase === 'idle');
    renderElapsed();
    const ticking = phase === 'running' && state.projection.method === method;
    if (ticking && !ticker) ticker = setInterval(renderElapsed, TICK_MS);
    if (!ticking && ticker) {
      clearInterval(ticker);
      ticker = 0;
    }
  }

  store.subscribe(['runs', 'results', 'dataset', 'isolated', 'projection', 'coords', 'params'], render);
  render(store.get());
}
