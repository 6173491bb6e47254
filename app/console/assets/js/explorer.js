// The event explorer: an aggregate's stream from GET /api/history, and a
// slider over its instants showing the state at each (?at=) with what
// changed since another instant.
import { api } from './api.js';
import { diff, show } from './diff.js';
import { $, fill, h, say, short, when } from './dom.js';
import { who } from './layout.js';

who();

let current = null; // {type, id, changes, instants: [{at, version}], states: Map}

$('#open-form').addEventListener('submit', e => {
  e.preventDefault();
  open($('#agg-type').value, $('#agg-id').value.trim());
});
$('#instant').addEventListener('input', () => showInstant(Number($('#instant').value)));
$('#compare').addEventListener('change', () => showInstant(Number($('#instant').value)));

const path = (type, id) => `/api/history/${encodeURIComponent(type)}/${encodeURIComponent(id)}`;

async function open(type, id) {
  if (!id) return;
  const q = new URLSearchParams({ type, id });
  history.replaceState(null, '', `?${q}`);
  say($('#explorer-error'), '');
  try {
    const now = await api('GET', path(type, id));
    // The slider's instants: when each event occurred (events of the same
    // instant are one stop), oldest first.
    const instants = [];
    for (const c of now.changes) {
      const last = instants[instants.length - 1];
      if (last && last.at === c.occurredAt) last.version = c.version;
      else instants.push({ at: c.occurredAt, version: c.version });
    }
    current = { type, id, changes: now.changes, instants, states: new Map() };
    current.states.set(instants.length - 1, now);
    $('#stream-name').textContent = `${type} ${id}`;
    $('#stream-version').textContent = `version ${now.latestVersion}, ${now.changes.length} events`;
    const slider = $('#instant');
    slider.max = String(instants.length - 1);
    slider.value = String(instants.length - 1);
    fill($('#compare'), h('option', { value: '-1' }, 'the instant before'),
      ...instants.map((s, i) => h('option', { value: String(i) }, `v${s.version} · ${when(s.at)}`)));
    renderEvents();
    $('#stream').hidden = false;
    await showInstant(instants.length - 1);
  } catch (err) {
    $('#stream').hidden = true;
    say($('#explorer-error'), err.message);
  }
}

async function stateAt(i) {
  if (i < 0) return null;
  if (!current.states.has(i)) {
    const at = encodeURIComponent(current.instants[i].at);
    current.states.set(i, await api('GET', `${path(current.type, current.id)}?at=${at}`));
  }
  return current.states.get(i);
}

async function showInstant(i) {
  const c = current;
  const cmp = Number($('#compare').value);
  const other = cmp === -1 ? i - 1 : cmp;
  try {
    const [p, q] = await Promise.all([stateAt(i), stateAt(other)]);
    if (c !== current || Number($('#instant').value) !== i) return; // moved on meanwhile
    $('#instant-label').textContent = `v${p.version} · ${when(p.at)}`;
    $('#state-at').textContent = when(p.at);
    $('#state-version').textContent = `version ${p.version}`;
    $('#state').textContent = JSON.stringify(p.state, null, 2);
    $('#stream').dataset.version = String(p.version);
    const changes = diff(q ? q.state : null, p.state);
    fill($('#diff tbody'), ...changes.map(d => h('tr', { class: d.kind, dataset: { path: d.path } },
      h('td', {}, h('code', {}, d.path)), h('td', {}, h('code', {}, show(d.before))), h('td', {}, h('code', {}, show(d.after))))));
    $('#diff-empty').hidden = changes.length > 0;
    for (const tr of document.querySelectorAll('#events tbody tr')) {
      const v = Number(tr.dataset.version);
      tr.classList.toggle('current', v > (q ? q.version : 0) && v <= p.version);
      tr.classList.toggle('future', v > p.version);
    }
    say($('#explorer-error'), '');
  } catch (err) {
    say($('#explorer-error'), err.message);
  }
}

function renderEvents() {
  fill($('#events tbody'), ...current.changes.map(c => {
    const i = current.instants.findIndex(s => s.at === c.occurredAt);
    const hash = c.hash ? h('code', { title: `${c.prevHash ? 'after ' + c.prevHash + ' ' : ''}${c.hash}` }, short(c.hash, 12)) : '';
    return h('tr', { dataset: { version: String(c.version) } },
      h('td', {}, String(c.version)),
      h('td', {}, h('button', { class: 'link', onclick: () => { $('#instant').value = String(i); showInstant(i); } }, c.event || c.type),
        c.payload ? h('details', {}, h('summary', {}, 'payload'), h('pre', { class: 'json' }, JSON.stringify(c.payload, null, 2))) : ''),
      h('td', {}, when(c.occurredAt)),
      h('td', {}, c.issuedBy ? `${c.issuedBy}${c.issuerRole ? ' (' + c.issuerRole + ')' : ''}` : '—'),
      h('td', {}, h('code', { title: c.commandId }, short(c.commandId, 12))),
      h('td', {}, hash));
  }));
}

const params = new URLSearchParams(location.search);
if (params.get('type')) $('#agg-type').value = params.get('type');
if (params.get('id')) {
  $('#agg-id').value = params.get('id');
  open($('#agg-type').value, params.get('id'));
}
