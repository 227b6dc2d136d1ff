// The top bar's Token popover: the server's write token (public mode), kept for this tab only
// and sent by api.js with every request. Viewing and sharing never need it, so the button shows
// only on a server that has a write token (/api/status), or while this tab holds one.
import { byId } from '../dom.js';
import { bindPopover } from './popover.js';

/** Wire #token-button and #token-popover to store.serverInfo and actions.setToken / hasToken. */
export function mountTokenField(store, actions) {
  const button = byId('token-button');
  const form = byId('token-popover');
  const input = byId('token-input');
  const popover = bindPopover(button, form, () => popover.show(false));

  function renderButton() {
    const set = actions.hasToken();
    button.textContent = set ? 'Token ✓' : 'Token';
    button.classList.toggle('active', set);
    button.title = set ? 'A write token is set for this tab' : "Enter the server's write token (public mode)";
    const wanted = !!store.get().serverInfo?.write_token;
    button.hidden = !wanted && !set;
    if (button.hidden) popover.show(false);
  }

  button.addEventListener('click', () => {
    const open = !popover.open;
    input.value = '';
    popover.show(open);
    if (open) input.focus();
  });
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    actions.setToken(input.value.trim());
    input.value = '';
    renderButton();
    popover.show(false);
  });
  byId('token-clear').addEventListener('click', () => {
    input.value = '';
    actions.setToken('');
    renderButton();
    popover.show(false);
  });
  store.subscribe(['serverInfo'], renderButton);
  renderButton();
  actions.loadServerInfo();
}
