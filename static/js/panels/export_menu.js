// Downloads: "Download coordinates" (TSV / CSV / .npy) and "Download metadata.tsv" (TensorBoard's
// format, with the edits shown) in the Data panel, and "Download selection metadata (TSV)" in the Inspector. The server's error (e.g. "still running") shows next to them.
import { byId, setOptions } from '../dom.js';
import { COORD_FORMATS } from '../export_actions.js';
import { saveBlob } from '../download.js';

/** Wire the download controls to the store and actions. */
export function mountExportMenu(store, actions) {
  const format = byId('coords-format');
  const coordsButton = byId('download-coords');
  const coordsMessage = byId('download-message');
  const selectionButton = byId('download-selection');
  const selectionMessage = byId('selection-download-message');
  const metadataButton = byId('download-metadata');
  const metadataMessage = byId('metadata-download-message');
  setOptions(format, COORD_FORMATS, 'tsv');

  function render({ coords, selection, download, metadata }) {
    const busy = (what) => download.busy && download.what === what;
    coordsButton.disabled = !coords?.job || busy('coords');
    coordsButton.textContent = busy('coords') ? 'Downloading…' : 'Download coordinates';
    selectionButton.disabled = selection.length === 0 || busy('selection');
    selectionButton.title = selection.length ? `${selection.length} selected ${selection.length === 1 ? 'row' : 'rows'}` : 'Select points first';
    metadataButton.disabled = !metadata || busy('metadata');
    metadataButton.textContent = busy('metadata') ? 'Downloading…' : 'Download metadata.tsv';
    for (const [what, message] of [['coords', coordsMessage], ['selection', selectionMessage], ['metadata', metadataMessage]]) {
      const text = download.what === what ? download.error ?? '' : '';
      message.hidden = !text;
      message.textContent = text;
    }
  }

  async function save(file) {
    const got = await file;
    if (got) saveBlob(got.blob, got.filename);
  }

  coordsButton.addEventListener('click', () => save(actions.downloadCoordinates(format.value)));
  selectionButton.addEventListener('click', () => save(actions.downloadSelection()));
  metadataButton.addEventListener('click', () => save(actions.downloadMetadata()));
  // A message is stale once another result is on screen, the run finished, or the selection changed.
  const signature = ({ coords }) => `${coords?.job}|${coords?.seq === 'final'}`;
  let shown = signature(store.get());
  store.subscribe(['coords', 'selection'], (s, changed) => {
    const next = signature(s);
    if (next !== shown || changed.includes('selection')) actions.dismissDownloadError();
    shown = next;
  });
  store.subscribe(['coords', 'selection', 'download', 'metadata'], render);
  render(store.get());
}
