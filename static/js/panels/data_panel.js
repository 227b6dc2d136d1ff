// Data panel: dataset choice, Load dialog, "Label by" and "Color by", and the legend.
import { byId, setOptions } from '../dom.js';
import { colorKind } from '../colors.js';
import { derivedSummaries, userColumns } from '../metadata.js';
import { mountLegend } from './legend.js';
import { mountUploadDialog } from './upload_dialog.js';

/** Wire the Data panel to the store and actions. */
export function mountDataPanel(store, actions) {
  const datasetSelect = byId('dataset-select');
  const datasetInfo = byId('dataset-info');
  const labelBy = byId('label-by');
  const colorBy = byId('color-by');

  function renderDatasets({ datasets, dataset }) {
    setOptions(datasetSelect, datasets.map((d) => ({ value: d.id, text: d.name || d.id })), dataset);
    datasetSelect.disabled = datasets.length === 0;
    const current = datasets.find((d) => d.id === dataset);
    datasetInfo.textContent = current ? `${current.n} points × ${current.dim} dimensions` : '';
  }

  function renderColumns(s) {
    const { info, labelBy: label, colorBy: color } = s;
    const metadataColumns = userColumns(info?.columns ?? []);
    const names = new Set(metadataColumns.map((c) => c.name));
    // an analysis's columns (faithfulness, cluster...) follow the metadata's; a metadata column keeps its name
    const columns = [...metadataColumns, ...derivedSummaries(s).filter((c) => !names.has(c.name))];
    setOptions(labelBy, columns.map((c) => ({ value: c.name, text: c.name })), label);
    labelBy.disabled = columns.length === 0;
    const colorOptions = columns.map((c) => {
      const usable = colorKind(c) !== null;
      return { value: c.name, text: usable ? c.name : `${c.name} (${c.distinct} values)`, disabled: !usable };
    });
    setOptions(colorBy, [{ value: '', text: 'None' }, ...colorOptions], color ?? '');
    colorBy.disabled = columns.length === 0;
  }

  datasetSelect.addEventListener('change', () => actions.loadDataset(datasetSelect.value));
  labelBy.addEventListener('change', () => actions.setLabelBy(labelBy.value));
  colorBy.addEventListener('change', () => actions.setColorBy(colorBy.value || null));

  store.subscribe(['datasets', 'dataset'], renderDatasets);
  store.subscribe(['info', 'labelBy', 'colorBy', 'derivedColumns'], renderColumns);
  renderDatasets(store.get());
  renderColumns(store.get());
  mountLegend(store, actions);
  mountUploadDialog(actions);
}
