// One file through the resumable upload API (/api/uploads): chunks read with file.slice (never the
// whole file in memory), each sent with its SHA-256, in order; a failed chunk is retried after a
// pause from where the server says it stands (GET). An upload that cannot finish is deleted. The
// start carries a random key, so a start whose answer was lost is sent again and gets the same upload.
import * as api from './api.js';
import { ApiError } from './api.js';

/** Pauses before each retry of a failed chunk, in ms; when they run out the upload fails. */
export const RETRY_PAUSES_MS = [250, 1000, 3000];

/** Whether a failed request may go better when tried again: no answer, a server error or a 409 (wrong offset, busy). */
export function isRetryable(err) {
  return err instanceof ApiError && (err.status === 0 || err.status === 409 || err.status >= 500);
}

let nobleSha256 = null;

/** The SHA-256 of `bytes` (an ArrayBuffer) as hex: the browser's own, else @noble/hashes' (loaded on first use); null if neither. */
export async function sha256Hex(bytes) {
  let digest;
  if (globalThis.crypto?.subtle) {
    digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  } else {
    // crypto.subtle exists only in a secure context (https, localhost); a plain-http server elsewhere.
    try {
      nobleSha256 ??= (await import('@noble/hashes/sha2.js')).sha256;
    } catch (err) {
      console.warn('no SHA-256 for the upload chunks (the header is optional):', err);
      return null;
    }
    digest = nobleSha256(new Uint8Array(bytes));
  }
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** 24 random URL-safe characters (crypto.getRandomValues works outside a secure context too). */
function uploadKey() {
  const bytes = crypto.getRandomValues(new Uint8Array(18));
  return btoa(String.fromCharCode(...bytes)).replaceAll('+', '-').replaceAll('/', '_');
}

function pause(ms, signal) {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', stop);
      resolve();
    }, ms);
    function stop() {
      clearTimeout(timer);
      reject(signal.reason);
    }
    signal?.addEventListener('abort', stop, { once: true });
  });
}

function gaveUp(file, received, err) {
  const percent = Math.floor((100 * received) / file.size);
  return new ApiError({
    status: err.status,
    error: `${file.name}: the upload stopped at ${percent}% after ${RETRY_PAUSES_MS.length + 1} tries (${err.message})`,
    file: file.name,
  });
}

/** Open the upload, sending the start again (same key) after no answer or a 5xx; one that never got through expires. */
async function startUpload(file, signal, pauses) {
  const key = uploadKey();
  for (let failures = 0; ; failures += 1) {
    try {
      return await api.startUpload(file.name, file.size, key, signal);
    } catch (err) {
      const again = err instanceof ApiError && (err.status === 0 || err.status >= 500);
      if (signal?.aborted || !again || failures >= pauses.length) throw err;
      await pause(pauses[failures], signal);
    }
  }
}

/**
 * Send `file` (a File or Blob with a name) in chunks of at most `chunkBytes`; onProgress(bytesAccepted)
 * after each chunk. Resolves to the complete upload's id; rejects with an ApiError (the upload is then
 * deleted) or with the abort reason when `signal` aborts.
 */
export async function sendInChunks(file, { chunkBytes, onProgress = () => {}, signal, pauses = RETRY_PAUSES_MS }) {
  const upload = await startUpload(file, signal, pauses);
  const chunk = Math.max(1, Math.min(chunkBytes, upload.chunk_bytes || chunkBytes));
  let received = upload.received;
  let failures = 0;
  let stale = false; // after a failure the server's `received` is the truth
  try {
    for (;;) {
      try {
        if (stale) {
          received = (await api.getUpload(upload.id, signal)).received;
          stale = false;
          onProgress(received);
        }
        if (received >= file.size) break;
        const bytes = await file.slice(received, Math.min(received + chunk, file.size)).arrayBuffer();
        const status = await api.putUploadChunk(upload.id, received, bytes, await sha256Hex(bytes), signal);
        received = status.received;
        failures = 0;
        onProgress(received);
      } catch (err) {
        if (signal?.aborted || !isRetryable(err)) throw err;
        if (failures >= pauses.length) throw gaveUp(file, received, err);
        await pause(pauses[failures], signal);
        failures += 1;
        stale = true;
      }
    }
  } catch (err) {
    api.deleteUpload(upload.id).catch((e) => console.warn('could not delete the upload', e));
    throw err;
  }
  return upload.id;
}
