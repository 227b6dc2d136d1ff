// The "Load" dialog: vectors (.tsv, .npy, .npz or .parquet, with the column or array that holds them;
// optional when the metadata or the Parquet file has x, y coordinate columns), metadata (.tsv or .csv,
// optional), a sprite sheet with its image size (optional) and a name, uploaded as multipart.
import { byId, el } from '../dom.js';

/** Wire #load-button to the upload dialog; actions.uploadDataset does the work. */
export function mountUploadDialog(actions) {
  const dialog = byId('upload-dialog');
  const form = byId('upload-form');
  const error = byId('upload-error');
  const submit = byId('upload-submit');
  const vectors = byId('upload-vectors');
  const metadata = byId('upload-metadata');
  const name = byId('upload-name');
  const vectorColumn = byId('upload-vector-column');
  const sprite = byId('upload-sprite');
  const spriteDim = byId('upload-sprite-dim');

  function showError(err) {
    const where = err.extraWhere || '';
    const message = el('div', { className: 'upload-error-message' }, err.message || String(err));
    // (replaceChildren would turn a null argument into the text "null")
    error.replaceChildren(message, ...(where ? [el('div', { className: 'upload-error-where' }, where)] : []));
    error.hidden = false;
  }

  byId('load-button').addEventListener('click', () => {
    form.reset();
    error.hidden = true;
    error.replaceChildren();
    dialog.showModal();
  });
  byId('upload-cancel').addEventListener('click', () => dialog.close());

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!vectors.files.length && !metadata.files.length) {
      showError({ message: 'Choose a vectors file, or a metadata file with x and y columns.' });
      return;
    }
    const data = new FormData();
    if (vectors.files.length) data.append('vectors', vectors.files[0]);
    if (metadata.files.length) data.append('metadata', metadata.files[0]);
    // The server checks the size (and says so when it is missing), naming the field.
    if (sprite.files.length) {
      data.append('sprite', sprite.files[0]);
      data.append('sprite_dim', spriteDim.value.trim());
    }
    if (name.value.trim()) data.append('name', name.value.trim());
    if (vectors.files.length && vectorColumn.value.trim()) data.append('vector_column', vectorColumn.value.trim());
    submit.disabled = true;
    submit.textContent = 'Uploading…';
    error.hidden = true;
    try {
      await actions.uploadDataset(data);
      dialog.close();
    } catch (err) {
      showError(err);
    } finally {
      submit.disabled = false;
      submit.textContent = 'Upload';
    }
  });
}
