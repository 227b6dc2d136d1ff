// Day / night theme: remembered per browser (localStorage), put on <html data-theme> for the CSS
// (theme.css), and the plot colours the scene reads (THEME_COLORS). theme_boot.js applies the
// remembered theme before the first paint; this module keeps the store, the button and the key.
import { byId } from './dom.js';

const STORAGE_KEY = 'projector.theme'; // also read by theme_boot.js

/** Plot colours per theme: canvas background (also the dimmed points' mix colour), the selection rings, and sequence lines. */
export const THEME_COLORS = Object.freeze({
  day: Object.freeze({ background: '#ffffff', ring: '#1f1f1f', sequence: '#8a96a3' }),
  night: Object.freeze({ background: '#1b1f24', ring: '#eceff1', sequence: '#7d8a97' }),
});

/** The theme remembered in this browser: 'day' | 'night'. */
export function rememberedTheme() {
  try {
    return localStorage.getItem(STORAGE_KEY) === 'night' ? 'night' : 'day';
  } catch {
    return 'day';
  }
}

function apply(theme) {
  if (theme === 'night') document.documentElement.dataset.theme = 'night';
  else delete document.documentElement.dataset.theme;
  try {
    localStorage.setItem(STORAGE_KEY, theme);
  } catch {
    // storage disabled: the choice lasts for this page only
  }
}

function typingIn(target) {
  return target instanceof HTMLElement && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
}

/** Wire #night-mode and the N key to store.theme (through actions.setTheme), and keep <html> and storage in step. */
export function mountTheme(store, actions) {
  const button = byId('night-mode');
  function render({ theme }) {
    button.setAttribute('aria-pressed', String(theme === 'night'));
    apply(theme);
  }
  const toggle = () => actions.setTheme(store.get().theme === 'night' ? 'day' : 'night');
  button.addEventListener('click', toggle);
  document.addEventListener('keydown', (event) => {
    if (event.key !== 'n' && event.key !== 'N') return;
    if (event.ctrlKey || event.metaKey || event.altKey || typingIn(event.target)) return;
    toggle();
  });
  store.subscribe(['theme'], render);
  actions.setTheme(rememberedTheme());
  render(store.get());
}
