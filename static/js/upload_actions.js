// Loading a dataset from the Load dialog's files: a file larger than the server's chunk size (or its
// per-file form limit, if smaller) goes through /api/uploads first (chunked_upload.js) and the form
// names it (vectors_upload=...); smaller ones ride in the multipart form as before. A form refused for
// another file leaves the big file's upload on the server: sent again, the form names it once more.
import * as api from './api.js';
import { sendInChunks } from './chunked_upload.js';

const FILE_FIELDS = ['vectors', 'metadata', 'sprite'];

/** Build the upload intent over `store` (serverInfo.uploads) and `core` (uploadDataset). */
export function createUploadActions(store, core) {
  const kept = new Map(); // File -> id of its complete upload, left by a refused form

  /** The id of `file`'s upload if the server still holds it complete, else null. */
  async function keptUpload(file, signal) {
    const id = kept.get(file);
    if (!id) return null;
    kept.delete(file);
    try {
      const upload = await api.getUpload(id, signal);
      return upload.received === file.size && upload.size === file.size ? id : null;
    } catch (err) {
      if (signal?.aborted) throw err;
      return null; // consumed, expired or refused with its form: send it again
    }
  }

  /** {chunk, over}: chunks of `chunk` bytes for files over `over` bytes; null for a server without /api/uploads. */
  async function chunking() {
    if (!store.get().serverInfo) await core.loadServerInfo();
    const uploads = store.get().serverInfo?.uploads;
    if (!uploads) return null;
    // A file the form may not carry (max_upload_bytes under chunk_bytes) goes in chunks too.
    return { chunk: uploads.chunk_bytes, over: Math.min(uploads.chunk_bytes, uploads.max_upload_bytes ?? Infinity) };
  }

  return {
    /**
     * Make a dataset of `files` ({vectors?, metadata?, sprite?}: File) and `fields` (name, sprite_dim,
     * vector_column: strings); onProgress(fraction) while big files are sent in chunks. Resolves to the
     * dataset's describe object (listed and shown); rejects with an ApiError, or the abort reason when
     * `signal` aborts before the dataset is asked for (unfinished uploads are then deleted).
     */
    async loadFiles(files, fields, { onProgress = () => {}, signal } = {}) {
      const chunks = await chunking();
      const chosen = FILE_FIELDS.filter((f) => files[f]);
      const big = chosen.filter((f) => chunks && files[f].size > chunks.over);
      const total = big.reduce((sum, f) => sum + files[f].size, 0);
      const form = new FormData();
      const sent = []; // [file, id] of complete uploads not yet named in a form: deleted if a later one fails
      let done = 0;
      try {
        for (const field of big) {
          const file = files[field];
          let id = await keptUpload(file, signal);
          if (!id) {
            id = await sendInChunks(file, {
              chunkBytes: chunks.chunk, signal, onProgress: (received) => onProgress((done + received) / total),
            });
          }
          sent.push([file, id]);
          done += file.size;
          onProgress(done / total);
          form.append(`${field}_upload`, id);
        }
      } catch (err) {
        for (const [, id] of sent) api.deleteUpload(id).catch((e) => console.warn('could not delete the upload', e));
        throw err;
      }
      for (const field of chosen) if (!big.includes(field)) form.append(field, files[field]);
      for (const [key, value] of Object.entries(fields)) if (value) form.append(key, value);
      // The server consumes the uploads when it makes the dataset; refused, it keeps those of the files
      // it did not blame, and the next try asks for them (keptUpload) before sending anything.
      try {
        return await core.uploadDataset(form);
      } catch (err) {
        for (const [file, id] of sent) kept.set(file, id);
        throw err;
      }
    },
    /** Delete the uploads refused forms left (the dialog was closed without another try). */
    forgetUploads() {
      for (const id of kept.values()) api.deleteUpload(id).catch(() => {}); // gone already: nothing to do
      kept.clear();
    },
  };
}
