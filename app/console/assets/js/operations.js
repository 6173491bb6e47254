// Operations: GET /api/operations once, then GET /api/operations/live
// (server-sent events every 2 s): components' readiness, each processor
// group's partitions with their owner and lag, the projections' lag, the
// recent dead letters, and the throughput of the last minutes.
import { api, token } from './api.js';
import { timeChart } from './charts.js';
import { $, fill, h, say, when } from './dom.js';
import { who } from './layout.js';
import { openStream } from './sse.js';

who();

function render(o) {
  $('#measured-at').textContent = when(o.measuredAt);
  const comps = o.components || [];
  fill($('#components'), ...comps.map(c => h('li', { class: c.ready ? 'ready' : 'waiting', title: c.error || '', dataset: { name: c.name } },
    c.name, c.ready ? '' : h('span', { class: 'hint' }, ` ${c.error || 'not ready'}`))));
  renderGroups(o.groups || []);
  renderProjections(o.projections || []);
  renderDeadLetters(o.deadLetters || []);
  renderThroughput(o.throughput || []);
}

function renderGroups(groups) {
  fill($('#groups'), ...groups.map(g => h('div', { class: 'group', dataset: { group: g.group } },
    h('h3', {}, g.group, h('span', { class: 'hint' }, ` · ${g.state || '?'} · ${g.members} member${g.members === 1 ? '' : 's'} · lag ${g.lag ?? 0}`)),
    g.error ? h('p', { class: 'error' }, g.error) : '',
    h('table', {},
      h('thead', {}, h('tr', {}, h('th', {}, 'Topic'), h('th', { class: 'num', title: 'Partition' }, 'Part.'), h('th', {}, 'Owner'), h('th', { class: 'num' }, 'Lag'))),
      h('tbody', {}, ...(g.partitions || []).map(p => h('tr', { dataset: { topic: p.topic, partition: String(p.partition) } },
        h('td', {}, p.topic.replace(/^mallbots\./, '')), h('td', { class: 'num' }, String(p.partition)), h('td', { class: 'owner' }, p.owner || '—'),
        h('td', { class: p.lag > 0 ? 'num lagging' : 'num' }, String(p.lag)))))))));
}

function renderProjections(ps) {
  fill($('#projections tbody'), ...ps.map(p => h('tr', { dataset: { name: p.name } },
    h('td', {}, p.name), h('td', {}, p.ready ? 'yes' : 'no'),
    h('td', { class: p.lagEvents > 0 ? 'num lagging' : 'num' }, String(p.lagEvents)),
    h('td', { class: 'num' }, (p.lagSeconds || 0).toFixed(1)),
    h('td', {}, (p.tables || []).map(t => t.table).join(', ')))));
}

function renderDeadLetters(dls) {
  fill($('#dead-letters tbody'), ...dls.map(d => h('tr', {},
    h('td', {}, when(d.time)), h('td', { class: 'num' }, String(d.partition)), h('td', { class: 'num' }, String(d.offset)),
    h('td', {}, h('code', {}, d.key || '')), h('td', {}, d.source || ''), h('td', {}, d.reason || ''))));
  $('#dead-letters-empty').hidden = dls.length > 0;
}

let throughputKey = '';

// The chart is drawn again only when the samples changed.
function renderThroughput(samples) {
  const key = samples.length ? `${samples.length}|${samples[samples.length - 1].time}` : '';
  if (key === throughputKey) return;
  throughputKey = key;
  const groups = [...new Set(samples.flatMap(s => Object.keys(s.records || {})))].sort();
  const times = samples.map(s => Date.parse(s.time) / 1000);
  const box = $('#throughput');
  if (!samples.length) {
    fill(box, h('p', { class: 'hint' }, 'No samples yet.'));
    return;
  }
  fill(box, timeChart('Records per second by group', times,
    groups.map(g => ({ label: g.replace(/^mallbots\./, ''), values: samples.map(s => (s.records || {})[g] ?? 0) })), { height: 260, pad: 30 }));
}

async function start() {
  try {
    render(await api('GET', '/api/operations'));
  } catch (err) {
    say($('#ops-error'), err.message);
  }
  openStream('/api/operations/live', {
    headers: () => ({ Authorization: 'Bearer ' + token() }),
    onEvent: ev => {
      if (ev.type === 'error') { // the server could not measure this time; it goes on
        try { say($('#ops-error'), JSON.parse(ev.data).message); } catch { say($('#ops-error'), ev.data); }
        return;
      }
      if (ev.type !== 'operations') return;
      try {
        render(JSON.parse(ev.data));
        say($('#ops-error'), '');
      } catch (err) {
        say($('#ops-error'), 'A bad update: ' + err.message);
      }
    },
    onState: (state, err) => {
      const live = $('#ops-live');
      live.textContent = state === 'open' ? 'live' : state === 'reconnecting' ? 'reconnecting…' : 'not live: ' + (err ? err.message : state);
      live.dataset.state = state;
    },
  });
}

start();
