// The "Load" dialog: vectors (.tsv, .npy, .npz or .parquet, with the column or array that holds them;
// optional when the metadata or the Parquet file has x, y coordinate columns), metadata (.tsv or .csv,
// optional), a sprite sheet with its image size (optional) and a name. actions.loadFiles sends files
// over the server's chunk size in resumable chunks (the percentage shows in #upload-progress) and the
// rest in the multipart form; Cancel (or Esc) while chunks go abandons them.
import { byId, el } from '../dom.js';

/** Wire #load-button to the upload dialog; actions.loadFiles does the work. */
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
  const progress = byId('upload-progress');
  let sending = null; // the AbortController of the upload in progress

  function showProgress(fraction) {
    progress.textContent = fraction < 1 ? `Uploading… ${Math.floor(fraction * 100)}%` : 'Uploaded; making the dataset…';
    progress.hidden = false;
  }

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
    progress.hidden = true;
    dialog.showModal();
  });
  byId('upload-cancel').addEventListener('click', () => dialog.close());
  // Closing the dialog (Cancel, Esc) abandons chunks still being sent; a form already sent still makes its dataset.
  // Uploads a refused form left for the next try are deleted with it.
  dialog.addEventListener('close', () => {
    sending?.abort();
    actions.forgetUploads();
  });

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!vectors.files.length && !metadata.files.length) {
      showError({ message: 'Choose a vectors file, or a metadata file with x and y columns.' });
      return;
    }
    const files = {
      vectors: vectors.files[0] ?? null,
      metadata: metadata.files[0] ?? null,
      // The server checks the size (and says so when it is missing), naming the field.
      sprite: sprite.files[0] ?? null,
    };
    const fields = {
      name: name.value.trim(),
      sprite_dim: files.sprite ? spriteDim.value.trim() : '',
      vector_column: files.vectors ? vectorColumn.value.trim() : '',
    };
    const controller = new AbortController();
    sending = controller;
    submit.disabled = true;
    submit.textContent = 'Uploading…';
    error.hidden = true;
    progress.hidden = true;
    try {
      await actions.loadFiles(files, fields, { onProgress: showProgress, signal: controller.signal });
      dialog.close();
    } catch (err) {
      if (!controller.signal.aborted) showError(err);
    } finally {
      if (sending === controller) sending = null;
      progress.hidden = true;
      submit.disabled = false;
      submit.textContent = 'Upload';
    }
  });
}
