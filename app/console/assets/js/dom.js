// Small DOM helpers. Data from the API only ever becomes text (never
// markup), so a product named "<script>" shows as written.

// h builds an element: h('a', {href: '/x', class: 'y', onclick: fn}, 'text', child).
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k in el && typeof v !== 'string') el[k] = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

// fill replaces el's children.
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

export const $ = (sel, root = document) => root.querySelector(sel);

// show sets an element's text and un-hides it; an empty text hides it.
export function say(el, text) {
  el.textContent = text || '';
  el.hidden = !text;
}

export function money(n) {
  return typeof n === 'number' ? n.toFixed(2) : '';
}

export function when(t) {
  if (!t) return '';
  const d = new Date(t);
  return isNaN(d) ? String(t) : d.toLocaleString();
}

export function short(id, n = 8) {
  return id && id.length > n ? id.slice(0, n) + '…' : id || '';
}
