// Binds a tab's [data-param] fields to store.params[method]: inputs, selects, checkboxes and
// segmented button groups (data-value buttons). Enter in a field runs the method.
/** Keep the [data-param] fields inside `pane` and store.params[method] in step; Enter runs `method`. */
export function bindParamForm(pane, method, store, actions) {
  const fields = [...pane.querySelectorAll('[data-param]')];

  function render({ params }) {
    const form = params[method];
    for (const field of fields) {
      const value = form[field.dataset.param];
      if (field.classList.contains('segmented')) {
        for (const b of field.querySelectorAll('button[data-value]')) b.setAttribute('aria-pressed', String(b.dataset.value === String(value)));
      } else if (field.type === 'checkbox') {
        field.checked = !!value;
      } else if (field !== document.activeElement) {
        // Never rewrite the field being typed in: "0." must not become "0".
        field.value = value === null || value === undefined ? '' : String(value);
      }
    }
  }

  for (const field of fields) {
    const name = field.dataset.param;
    if (field.classList.contains('segmented')) {
      field.addEventListener('click', (event) => {
        const button = event.target.closest('button[data-value]');
        if (!button) return;
        actions.setParams(method, { [name]: button.dataset.value });
        // The Dimension toggle shows the result kept for that choice at once, when there is one.
        actions.show();
      });
    } else if (field.type === 'checkbox') {
      field.addEventListener('change', () => actions.setParams(method, { [name]: field.checked }));
    } else {
      field.addEventListener(field.tagName === 'SELECT' ? 'change' : 'input', () => actions.setParams(method, { [name]: field.value }));
      field.addEventListener('keydown', (event) => {
        if (event.key !== 'Enter' || field.tagName === 'SELECT') return;
        event.preventDefault();
        actions.setParams(method, { [name]: field.value });
        actions.runProjection(method);
      });
    }
  }

  store.subscribe(['params'], render);
  render(store.get());
}
