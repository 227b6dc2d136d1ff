// Saving a downloaded file: a temporary <a download> pointing at a blob URL.

/** Let the browser save `blob` as `filename`. */
export function saveBlob(blob, filename) {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  // Keep the blob a while: the browser may read it after click() returns.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
