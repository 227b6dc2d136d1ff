// View state <-> URL. For now only `dataset` travels (?dataset=<id>); the other view-state fields
// (projection, colorBy, labelBy, selection, isolated, camera) keep these names when they join.

/** The view state named by the current URL: {dataset: string|null}. */
export function readUrl(location = window.location) {
  const params = new URLSearchParams(location.search);
  return { dataset: params.get('dataset') };
}

/** Keep ?dataset=<id> in the address bar (replaceState) whenever the store's dataset changes. */
export function syncUrl(store) {
  return store.subscribe(['dataset'], ({ dataset }) => {
    const url = new URL(window.location.href);
    if (dataset) url.searchParams.set('dataset', dataset);
    else url.searchParams.delete('dataset');
    if (url.href !== window.location.href) history.replaceState(history.state, '', url);
  });
}
