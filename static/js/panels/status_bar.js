// The status area in the top bar ("Computing PCA…") and the error banner (API error text).
import { byId } from '../dom.js';

/** Show store.status in #status and #error-banner. */
export function mountStatusBar(store, actions) {
  const status = byId('status');
  const text = byId('status-text');
  const banner = byId('error-banner');
  const errorText = byId('error-text');

  function render({ status: s }) {
    status.classList.toggle('busy', s.busy);
    text.textContent = s.message;
    banner.hidden = !s.error;
    errorText.textContent = s.error || '';
  }
  byId('error-dismiss').addEventListener('click', () => actions.dismissError());
  store.subscribe(['status'], render);
  render(store.get());
}
