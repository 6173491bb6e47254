// Orders and analytics: the order search (POST /api/search/orders, every
// filter, cursor paging) with links to the explorer, and the analyst
// cookbook's figures as charts (GET /api/analytics/{name}).
import { api } from './api.js';
import { barChart, table, timeChart } from './charts.js';
import { $, fill, h, money, say, short, when } from './dom.js';
import { who } from './layout.js';

who();

// ---- search

let cursors = []; // the cursor of each page shown so far ('' for the first)
let filters = null;

function readFilters(form) {
  const f = {};
  const text = name => form.elements[name].value.trim();
  if (text('customerId')) f.customerId = text('customerId');
  if (text('status')) f.status = text('status');
  for (const name of ['createdAfter', 'createdBefore']) {
    if (text(name)) f[name] = new Date(text(name)).toISOString(); // datetime-local is local time
  }
  const stores = [...form.elements.storeIds.selectedOptions].map(o => o.value);
  if (stores.length) f.storeIds = stores;
  const products = text('productIds').split(/[\s,]+/).filter(Boolean);
  if (products.length) f.productIds = products;
  for (const name of ['minTotal', 'maxTotal']) {
    if (text(name)) f[name] = Number(text(name));
  }
  if (text('limit')) f.limit = Number(text('limit'));
  return f;
}

async function search(cursor) {
  say($('#search-error'), '');
  try {
    const page = await api('POST', '/api/search/orders', cursor ? { ...filters, cursor } : filters);
    render(page, cursor);
  } catch (err) {
    say($('#search-error'), err.message);
  }
}

function render(page, cursor) {
  if (!cursor) cursors = [''];
  else if (cursors[cursors.length - 1] !== cursor) cursors.push(cursor);
  fill($('#results tbody'), ...page.orders.map(o => h('tr', { dataset: { id: o.id } },
    h('td', {}, h('a', { href: `/console/explorer?type=order&id=${encodeURIComponent(o.id)}`, title: o.id }, short(o.id, 13))),
    h('td', {}, o.customerName || short(o.customerId), h('br'), h('span', { class: 'hint' }, short(o.customerId, 13))),
    h('td', {}, o.items.map(i => `${i.quantity} × ${i.productName} (${i.storeName})`).join(', ')),
    h('td', { class: 'num' }, money(o.total)),
    h('td', {}, o.status),
    h('td', {}, when(o.createdAt)),
    h('td', {}, when(o.updatedAt)))));
  if (!page.orders.length) fill($('#results tbody'), h('tr', {}, h('td', { colspan: '7', class: 'hint' }, 'No order matches.')));
  $('#page-info').textContent = `page ${cursors.length}${page.next ? '' : ' (the last)'}`;
  $('#next-page').disabled = !page.next;
  $('#next-page').dataset.cursor = page.next || '';
  $('#first-page').disabled = cursors.length <= 1;
}

$('#search-form').addEventListener('submit', e => {
  e.preventDefault();
  filters = readFilters(e.target);
  search('');
});
$('#next-page').addEventListener('click', e => search(e.target.dataset.cursor));
$('#first-page').addEventListener('click', () => search(''));

async function loadStores() {
  try {
    const stores = await api('GET', '/api/stores');
    fill($('#search-form').elements.storeIds, ...stores.map(s => h('option', { value: s.id }, s.name)));
  } catch (err) {
    say($('#search-error'), 'Could not read the stores: ' + err.message);
  }
}

// ---- analytics

const num = v => (v === null || v === '' ? null : Number(v));

// Each chart reads one query of the cookbook (none of them has a
// parameter) by its columns' names.
const charts = {
  sales_by_store_and_day(r) {
    const days = [...new Set(r.col('day'))].sort();
    const stores = [...new Set(r.col('store_name'))].sort();
    const revenue = new Map(r.rows.map(row => [`${row[r.idx.day]}|${row[r.idx.store_name]}`, num(row[r.idx.revenue])]));
    return timeChart('Sales by store and day (revenue)', days.map(d => Date.parse(String(d).length === 10 ? d + 'T00:00:00Z' : d) / 1000),
      stores.map(s => ({ label: s, values: days.map(d => revenue.get(`${d}|${s}`) ?? null) })));
  },
  top_products(r) {
    return barChart('Top products (units sold)', r.col('product_name'), [{ label: 'units', values: r.col('units').map(num) }]);
  },
  basket_funnel(r) {
    const steps = ['started', 'with_items', 'checked_out', 'completed'].filter(c => c in r.idx);
    const row = r.rows[0] || [];
    return barChart('Basket funnel (baskets)', steps.map(s => s.replace('_', ' ')), [{ label: 'baskets', values: steps.map(s => num(row[r.idx[s]])) }]);
  },
  order_lifecycle_durations(r) {
    return barChart('Order lifecycle durations (ms)', r.col('transition'),
      [{ label: 'p50', values: r.col('p50_ms').map(num) }, { label: 'p90', values: r.col('p90_ms').map(num) }]);
  },
  saga_rejection_reasons(r) {
    return barChart('Saga rejection reasons (orders)', r.col('reason'), [{ label: 'orders', values: r.col('orders').map(num) }]);
  },
};

function result(answer) {
  const idx = Object.fromEntries(answer.columns.map((c, i) => [c, i]));
  return { ...answer, idx, col: name => answer.rows.map(row => row[idx[name]]) };
}

async function loadAnalytics() {
  say($('#analytics-error'), '');
  let list;
  try {
    list = await api('GET', '/api/analytics');
  } catch (err) {
    say($('#analytics-error'), 'The analytics are not available: ' + err.message);
    return;
  }
  const box = $('#charts');
  fill(box);
  const wanted = list.filter(q => charts[q.name]);
  const slots = wanted.map(q => {
    const slot = h('div', { class: 'chart-slot', dataset: { name: q.name } }, h('p', { class: 'hint' }, `${q.title || q.name}…`));
    box.append(slot);
    return slot;
  });
  // One query at a time: the analyst's ClickHouse user may run only a few
  // at once (deploy/clickhouse), and other analysts share them.
  for (const [i, q] of wanted.entries()) {
    const slot = slots[i];
    try {
      const r = result(await api('GET', `/api/analytics/${encodeURIComponent(q.name)}`));
      fill(slot, r.rows.length ? charts[q.name](r) : h('p', { class: 'hint' }, `${q.title || q.name}: no data yet.`), table(r.columns, r.rows));
      slot.dataset.rows = String(r.rows.length);
    } catch (err) {
      fill(slot, h('p', { class: 'error' }, `${q.title || q.name}: ${err.message}`));
    }
  }
}

$('#analytics-form').addEventListener('submit', e => {
  e.preventDefault();
  loadAnalytics();
});

loadStores();
filters = readFilters($('#search-form'));
search('');
loadAnalytics();
