// A read-only link with its Copy button (the share box, the bookmark list's link): the whole
// link is selected on focus, and Copy says "Copied" once the clipboard has it.

const COPIED_MS = 2000; // how long the button says "Copied"

/**
 * Wire read-only `input` and its Copy `button`; `note` (optional) gets one line about the copy.
 * Where the browser refuses the clipboard (no permission, headless), the link stays selected
 * for Ctrl+C and the note says so.
 */
export function bindLinkBox(input, button, note = null) {
  const label = button.textContent;
  let timer = 0;
  const selectAll = () => input.select();
  input.addEventListener('focus', selectAll);
  // A click into a focused field would otherwise drop the selection for a caret.
  input.addEventListener('click', selectAll);

  button.addEventListener('click', async () => {
    input.focus();
    input.select();
    clearTimeout(timer);
    try {
      await navigator.clipboard.writeText(input.value);
      button.textContent = 'Copied';
      if (note) note.textContent = 'Copied to the clipboard.';
      timer = setTimeout(() => {
        button.textContent = label;
      }, COPIED_MS);
    } catch {
      input.select();
      button.textContent = label;
      if (note) note.textContent = 'Selected: press Ctrl+C (⌘C) to copy.';
    }
  });
}
