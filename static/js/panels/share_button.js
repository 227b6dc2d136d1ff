// The top bar's Share button: stores the current view on the server and shows its link in a
// popover with a Copy button (#share-link holds the link, read-only, selected whole on focus).
import { byId } from '../dom.js';
import { bindPopover } from './popover.js';
import { bindLinkBox } from './link_box.js';

/** Wire #share-button and #share-popover to store.share and actions.share / closeShare. */
export function mountShareButton(store, actions) {
  const button = byId('share-button');
  const message = byId('share-message');
  const link = byId('share-link');
  const row = link.closest('.link-row');
  const copied = byId('share-copied');
  const popover = bindPopover(button, byId('share-popover'), () => actions.closeShare());

  button.addEventListener('click', () => {
    if (popover.open) actions.closeShare();
    else actions.share();
  });
  bindLinkBox(link, byId('share-copy'), copied);

  function render({ share }) {
    popover.show(share.open);
    button.disabled = share.busy;
    message.textContent = share.busy ? 'Saving this view…' : share.error ?? (share.url ? 'Anyone with this link sees this view:' : '');
    message.classList.toggle('error-text', !!share.error);
    link.value = share.url ?? '';
    row.hidden = !share.url;
    copied.textContent = '';
    if (share.url) {
      link.focus();
      link.select();
    }
  }

  store.subscribe(['share'], render);
  render(store.get());
}
