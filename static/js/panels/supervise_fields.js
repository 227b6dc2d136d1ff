// The t-SNE and UMAP tabs' "Supervise with" select (none, or a metadata column) and its weight
// field, which only counts with a column. The values live in store.params like the other fields
// (param_form.js binds them); this fills the select's options from the dataset's columns.
import { byId, setOptions } from '../dom.js';
import { userColumns } from '../metadata.js';

const WEIGHTS = { tsne: 'tsne-supervise-factor', umap: 'umap-target-weight' };

/** Keep each tab's "Supervise with" options in step with the dataset's metadata columns. */
export function mountSuperviseFields(store) {
  function render({ metadata, params }) {
    const columns = userColumns(metadata?.columns ?? []);
    for (const [method, weightId] of Object.entries(WEIGHTS)) {
      const chosen = String(params[method]?.supervise_column ?? '');
      const options = [{ value: '', text: 'none' }, ...columns.map((c) => ({ value: c.name, text: c.name }))];
      // A restored column that this dataset lacks stays listed, so the form shows what will be sent.
      if (chosen && !columns.some((c) => c.name === chosen)) options.push({ value: chosen, text: chosen });
      const select = byId(`${method}-supervise`);
      setOptions(select, options, chosen);
      select.disabled = columns.length === 0 && !chosen;
      byId(weightId).disabled = !chosen;
    }
  }

  store.subscribe(['metadata', 'params'], render);
  render(store.get());
}
