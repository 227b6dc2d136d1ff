// DOM helpers. Text goes in through textContent only, so metadata can never become markup.

/**
 * Create an element: el('li', {className: 'x', dataset: {row: 3}, onclick: fn}, 'text', childEl).
 * String children become text nodes; props are assigned as properties (dataset/attrs merged).
 */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null) continue;
    if (key === 'dataset') Object.assign(node.dataset, value);
    else if (key === 'attrs') for (const [a, v] of Object.entries(value)) node.setAttribute(a, String(v));
    else if (key === 'style' && typeof value === 'object') Object.assign(node.style, value);
    else if (key.startsWith('on') && typeof value === 'function') node.addEventListener(key.slice(2), value);
    else node[key] = value;
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** Look up an element by id, failing loudly when the template and the code disagree. */
export function byId(id) {
  const node = document.getElementById(id);
  if (!node) throw new Error(`#${id} is missing from the page`);
  return node;
}

/** Replace all children of a node with the given nodes. */
export function setChildren(node, nodes) {
  node.replaceChildren(...nodes);
}

/**
 * Fill a <select> with [{value, text, disabled}] options, keeping `selected` chosen when present.
 * The select's title is the chosen option's whole text, for a name too long for the box.
 */
export function setOptions(select, options, selected) {
  select.replaceChildren(
    ...options.map((o) => el('option', { value: String(o.value), disabled: !!o.disabled, title: String(o.text) }, o.text)),
  );
  if (selected !== undefined && selected !== null) select.value = String(selected);
  select.title = select.selectedOptions[0]?.textContent ?? '';
}
