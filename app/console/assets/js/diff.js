// A JSON diff of two states: each leaf that differs, by its path
// ("items.p-1.quantity"), as added, removed or changed. Arrays are
// compared by index; objects by key.

export function flatten(v, prefix = '', out = new Map()) {
  if (v !== null && typeof v === 'object' && Object.keys(v).length > 0) {
    for (const [k, child] of Object.entries(v)) flatten(child, prefix ? `${prefix}.${k}` : k, out);
  } else if (prefix !== '') {
    out.set(prefix, v);
  }
  return out;
}

// diff answers [{path, kind: 'added'|'removed'|'changed', before, after}],
// sorted by path.
export function diff(before, after) {
  const a = flatten(before ?? {});
  const b = flatten(after ?? {});
  const out = [];
  for (const [path, v] of b) {
    if (!a.has(path)) out.push({ path, kind: 'added', after: v });
    else if (JSON.stringify(a.get(path)) !== JSON.stringify(v)) out.push({ path, kind: 'changed', before: a.get(path), after: v });
  }
  for (const [path, v] of a) {
    if (!b.has(path)) out.push({ path, kind: 'removed', before: v });
  }
  return out.sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0));
}

export function show(v) {
  return v === undefined ? '' : JSON.stringify(v);
}
