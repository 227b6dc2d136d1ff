// Downloads: the coordinates on screen (with the metadata), the selected rows' metadata and the
// whole metadata.tsv, all at the edit version shown. Each
// answers {blob, filename} for the page to save, or null after writing the error to the store.
import * as api from './api.js';
import { errorText } from './projection_runs.js';

/** The coordinate file formats the server writes, as offered in the Data panel. */
export const COORD_FORMATS = Object.freeze([
  { value: 'tsv', text: 'TSV' },
  { value: 'csv', text: 'CSV' },
  { value: 'npy', text: '.npy' },
]);

/** Build the export actions over `store`. */
export function createExportActions(store) {
  const state = () => store.get();

  async function download(what, fetchFile) {
    store.update({ download: { what, busy: true, error: null } });
    try {
      const file = await fetchFile();
      store.update({ download: { what, busy: false, error: null } });
      return file;
    } catch (err) {
      console.warn(err);
      store.update({ download: { what, busy: false, error: errorText(err) } });
      return null;
    }
  }

  return {
    /** The projection on screen as TSV, CSV (coordinates + metadata) or .npy (coordinates). */
    downloadCoordinates(format) {
      const job = state().coords?.job;
      if (!job) return Promise.resolve(null);
      const clusters = state().clusters?.status === 'done' ? state().clusters.job : null;
      return download('coords', () => api.exportProjection(job, format, state().editVersion, clusters));
    },
    /** The metadata of the selected rows, in selection order, as TSV (header + one line per row). */
    downloadSelection() {
      const { dataset, selection } = state();
      if (!dataset || selection.length === 0) return Promise.resolve(null);
      return download('selection', () => api.exportSelection(dataset, [...selection], 'tsv', state().editVersion));
    },
    /** TensorBoard's metadata.tsv of the dataset at the edit version shown (a header only for 2+ columns). */
    downloadMetadata() {
      const { dataset, editVersion } = state();
      if (!dataset) return Promise.resolve(null);
      return download('metadata', () => api.downloadMetadataTsv(dataset, editVersion));
    },
    dismissDownloadError() {
      if (state().download.error) store.update({ download: { what: null, busy: false, error: null } });
    },
  };
}
