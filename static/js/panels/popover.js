// A small popover under a top-bar button: shown or hidden by its owner; Escape or a click
// elsewhere asks the owner to close it.

/** Wire `popover` to `button`; onDismiss() runs on Escape or a click outside both. Answers {show(open), open}. */
export function bindPopover(button, popover, onDismiss) {
  function show(open) {
    popover.hidden = !open;
    button.setAttribute('aria-expanded', String(open));
  }
  document.addEventListener('pointerdown', (event) => {
    if (!popover.hidden && !popover.contains(event.target) && !button.contains(event.target)) onDismiss();
  });
  document.addEventListener('keydown', (event) => {
    if (event.key !== 'Escape' || popover.hidden) return;
    event.preventDefault();
    onDismiss();
    button.focus();
  });
  return {
    show,
    get open() {
      return !popover.hidden;
    },
  };
}
