// What the page learns about the server (/api/status) and the one-line hint of a first view:
// small intents the top bar and the plot messages call.
import * as api from './api.js';

const HINT_SEEN_KEY = 'projector-first-hint-seen';

function hintSeen() {
  try {
    return localStorage.getItem(HINT_SEEN_KEY) === '1';
  } catch {
    return false; // storage disabled: the hint shows once per page load
  }
}

/** Build the server-info and first-hint actions over `store`; the hint stays gone once dismissed in this browser. */
export function createPageHintActions(store) {
  if (hintSeen()) store.update({ firstHint: false });
  return {
    /**
     * Read /api/status into store.serverInfo: {version, write_token, uploads: {max_upload_bytes,
     * chunk_bytes} | null} ({write_token: false, uploads: null} when it cannot be read).
     */
    async loadServerInfo() {
      try {
        const status = await api.getStatus();
        const uploads = status.uploads?.chunk_bytes > 0 ? status.uploads : null;
        store.update({ serverInfo: { version: status.version, write_token: !!status.write_token, uploads } });
      } catch (err) {
        console.warn(err);
        store.update({ serverInfo: { version: null, write_token: false, uploads: null } });
      }
    },
    /** The user has interacted with the plot: the first-view hint goes, for good in this browser. */
    dismissFirstHint() {
      if (!store.get().firstHint) return;
      store.update({ firstHint: false });
      try {
        localStorage.setItem(HINT_SEEN_KEY, '1');
      } catch {
        // storage disabled: gone for this page load only
      }
    },
  };
}
