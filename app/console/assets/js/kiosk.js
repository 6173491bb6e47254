// The kiosk: a kiosk registers a customer and continues as them; the
// customer browses the participating stores, fills a basket, authorizes a
// payment, checks out, and watches the order live (saga, bot, ready, pay
// at pickup, completed) with the messages sent to them.
import { api, APIError, kioskToken, retrying, setKioskToken, setToken, token } from './api.js';
import { $, fill, h, money, say, short, when } from './dom.js';
import { who } from './layout.js';
import { openStream } from './sse.js';

const ORDER = 'mallbots.order';
let basket = null; // the basket as the API last answered it
let me = who();

function section(id) {
  for (const s of ['register', 'shop', 'track']) $('#' + s).hidden = s !== id;
}

function start() {
  me = who();
  if (!me) return;
  if (me.role === 'kiosk') {
    section('register');
    $('#customer-name').focus();
  } else if (me.role === 'customer') {
    const order = sessionStorage.getItem(ORDER);
    if (order) track(order);
    else shop();
  } else if (me.role === 'operator') {
    say($('#role-warning'), 'An operator may look, but shopping needs a customer: sign in as a kiosk (it registers one) or a customer.');
  }
}

// Registration: the kiosk's POST /api/customers answers the new customer's
// token; the page goes on as that customer and keeps the kiosk's token for
// the next one.
$('#register-form').addEventListener('submit', async e => {
  e.preventDefault();
  const form = e.target;
  const btn = form.querySelector('button');
  btn.disabled = true;
  try {
    const out = await api('POST', '/api/customers', { name: form.name.value.trim(), smsNumber: form.smsNumber.value.trim() });
    if (!out.token) throw new Error('the API signed no token for the new customer (an external issuer signs customers in)');
    setKioskToken(token());
    setToken(out.token);
    form.reset();
    say($('#register-error'), '');
    start();
  } catch (err) {
    say($('#register-error'), err.message);
  } finally {
    btn.disabled = false;
  }
});

async function shop() {
  section('shop');
  basket = null;
  renderBasket();
  try {
    const stores = await api('GET', '/api/stores/participating');
    fill($('#stores'), ...stores.map(s => h('li', {},
      h('button', { class: 'card store', dataset: { id: s.id }, onclick: () => products(s) },
        h('strong', {}, s.name), h('span', { class: 'hint' }, s.location)))));
    if (!stores.length) fill($('#stores'), h('li', { class: 'hint' }, 'No store takes part yet.'));
  } catch (err) {
    say($('#basket-error'), 'Could not read the stores: ' + err.message);
  }
}

async function products(store) {
  for (const b of document.querySelectorAll('#stores .card')) b.classList.toggle('selected', b.dataset.id === store.id);
  $('#products-title').textContent = store.name;
  try {
    const list = await api('GET', `/api/stores/${encodeURIComponent(store.id)}/products`);
    fill($('#products'), ...list.filter(p => !p.removed).map(p => h('li', {},
      h('div', { class: 'card product' },
        h('strong', {}, p.name), h('span', { class: 'hint' }, p.description),
        h('span', { class: 'price' }, money(p.price)),
        h('button', { class: 'primary add', dataset: { product: p.id }, onclick: e => addItem(p, e.target) }, 'Add')))));
    if (!list.length) fill($('#products'), h('li', { class: 'hint' }, 'This store sells nothing yet.'));
  } catch (err) {
    say($('#basket-error'), 'Could not read the products: ' + err.message);
  }
}

async function ensureBasket() {
  if (basket) return basket.id;
  const out = await api('POST', '/api/baskets', { customerId: me.customer });
  basket = { id: out.id, items: [], total: 0, status: 'open' };
  return out.id;
}

async function refreshBasket(minVersion) {
  const q = minVersion ? `?minVersion=${minVersion}` : '';
  basket = await retrying(() => api('GET', `/api/baskets/${encodeURIComponent(basket.id)}${q}`));
  renderBasket();
}

async function change(action, productId, btn) {
  if (btn) btn.disabled = true;
  try {
    const id = await ensureBasket();
    const out = await api('PUT', `/api/baskets/${encodeURIComponent(id)}/${action}`, { productId, quantity: 1 });
    await refreshBasket(out.version);
    say($('#basket-error'), '');
  } catch (err) {
    say($('#basket-error'), err.message);
  } finally {
    if (btn) btn.disabled = false;
  }
}

const addItem = (p, btn) => change('addItem', p.id, btn);

function renderBasket() {
  const items = (basket && basket.items) || [];
  fill($('#basket tbody'), ...items.map(it => h('tr', { dataset: { product: it.productId } },
    h('td', {}, it.productName, h('br'), h('span', { class: 'hint' }, it.storeName)),
    h('td', { class: 'qty' }, String(it.quantity)),
    h('td', { class: 'num' }, money(it.price * it.quantity)),
    h('td', {}, h('button', { class: 'link remove', title: 'Remove one', onclick: e => change('removeItem', it.productId, e.target) }, '−')))));
  $('#basket-total').textContent = money(basket ? basket.total : 0);
  $('#basket-empty').hidden = items.length > 0;
  $('#checkout').disabled = items.length === 0;
}

// Checkout: authorize a payment of the basket's total, then check out
// with it; the order's id is the basket's.
$('#checkout').addEventListener('click', async e => {
  const btn = e.target;
  btn.disabled = true;
  try {
    const pay = await api('POST', '/api/payments', { customerId: me.customer, amount: basket.total });
    await api('PUT', `/api/baskets/${encodeURIComponent(basket.id)}/checkout`, { paymentId: pay.id });
    sessionStorage.setItem(ORDER, basket.id);
    track(basket.id);
  } catch (err) {
    say($('#basket-error'), err.message);
    btn.disabled = false;
  }
});

let stream = null;
let last = null;
let polling = null;

// track follows the order live: GET /api/ordering/{id}/live pushes the
// order, its saga, its shopping list and the messages sent, at the start
// and at every change.
function track(orderId) {
  section('track');
  $('#order-id').textContent = orderId;
  $('#next-customer').hidden = !kioskToken();
  if (stream) stream.close();
  stream = openStream(`/api/ordering/${encodeURIComponent(orderId)}/live`, {
    headers: () => ({ Authorization: 'Bearer ' + token() }),
    onEvent: ev => {
      if (ev.type === 'error') { // the server could not read the order this time; it goes on
        try { say($('#pay-error'), JSON.parse(ev.data).message); } catch { say($('#pay-error'), ev.data); }
        return;
      }
      if (ev.type !== 'order') return;
      try { render(orderId, JSON.parse(ev.data)); } catch (err) { say($('#pay-error'), 'A bad update: ' + err.message); }
    },
    onState: (state, err) => {
      if (state === 'failed' && err && err.code === 'route_not_found' && !polling) {
        poll(orderId); // an API without the live route: read the order and its saga every second
        return;
      }
      if (state === 'failed' && err && err.status === 404) { // the order is not there yet
        setTimeout(() => { if ($('#order-id').textContent === orderId && !polling) track(orderId); }, 1000);
      }
      const live = $('#live-status');
      live.textContent = state === 'open' ? 'live' : state === 'reconnecting' ? 'reconnecting…' : 'not live: ' + (err ? err.message : state);
      live.dataset.state = state;
    },
  });
}

// poll is the live view's fallback on an API that does not serve the live
// route: the order and its saga every second, without the bot's stops or
// the messages, which only the live route gathers for a customer.
function poll(orderId) {
  const live = $('#live-status');
  live.textContent = 'polling';
  live.dataset.state = 'polling';
  const once = async () => {
    const get = path => api('GET', path).catch(e => { if (e instanceof APIError && e.status === 404) return null; throw e; });
    try {
      const [order, saga] = await Promise.all([get(`/api/ordering/${encodeURIComponent(orderId)}`), get(`/api/ordering/${encodeURIComponent(orderId)}/saga`)]);
      render(orderId, { order, saga, shoppingList: null, notifications: [] });
      if (order && ['completed', 'rejected', 'canceled'].includes(order.status)) { clearInterval(polling); polling = null; }
    } catch (err) {
      live.textContent = 'polling: ' + err.message;
    }
  };
  polling = setInterval(once, 1000);
  once();
}

function mark(step, state) { // state: done, now, failed, or '' (not yet)
  const li = $(`#timeline [data-step="${step}"]`);
  li.className = state || '';
}

function render(orderId, u) {
  last = u;
  const o = u.order;
  const saga = u.saga;
  const list = u.shoppingList;
  const status = o ? o.status : 'pending';
  const after = s => ['approved', 'ready', 'completed'].indexOf(status) >= ['approved', 'ready', 'completed'].indexOf(s);
  mark('checkout', 'done');
  if (saga) {
    $('#saga-step').textContent = saga.done ? `${saga.status}${saga.reason ? ': ' + saga.reason : ''}` : `${saga.step || saga.status}${saga.compensating ? ' (compensating)' : ''}`;
  }
  const rejected = status === 'rejected' || status === 'canceled';
  mark('saga', rejected ? 'failed' : saga && saga.done ? 'done' : 'now');
  mark('approved', rejected ? 'failed' : after('approved') ? 'done' : '');
  const shopping = list && list.status;
  $('#bot').textContent = list ? `${list.status}${list.botId ? ' · bot ' + short(list.botId) : ''}` : 'waiting for a bot';
  mark('shopping', after('ready') ? 'done' : shopping === 'assigned' ? 'now' : '');
  mark('ready', after('ready') ? 'done' : '');
  mark('paid', status === 'completed' ? 'done' : status === 'ready' ? 'now' : '');
  mark('completed', status === 'completed' ? 'done' : '');
  $('#order-status').textContent = o
    ? `Status: ${o.status}${o.rejectionReason ? ' (' + o.rejectionReason + ')' : ''} · total ${money(o.total)}`
    : 'Waiting for the order…';
  $('#order-status').dataset.status = status;
  renderStops(list);
  renderNotifications(u.notifications || []);
  $('#pay').disabled = status !== 'ready';
  $('#pay').hidden = status === 'completed' || rejected;
  if (status === 'completed' || rejected) {
    sessionStorage.removeItem(ORDER);
    $('#next-customer').hidden = false;
    $('#next-customer').textContent = kioskToken() ? 'Next customer' : 'Shop again';
  }
}

function renderStops(list) {
  if (!list || !list.stops) return;
  const stops = Object.values(list.stops);
  fill($('#stops'), ...stops.map(s => h('li', {},
    h('strong', {}, s.storeName), ' ', h('span', { class: 'hint' }, s.storeLocation),
    h('ul', {}, ...Object.values(s.items || {}).map(it => h('li', {}, `${it.quantity} × ${it.productName}`))))));
}

// The messages in the order they were sent; those of the same instant in
// the order's own order.
const kindRank = ['order_received', 'order_ready', 'order_completed', 'order_canceled', 'order_rejected'];
const rank = k => (kindRank.indexOf(k) + 1) || kindRank.length + 1;

function renderNotifications(ns) {
  if (!ns.length) return;
  const sorted = [...ns].sort((a, b) => Date.parse(a.sentAt) - Date.parse(b.sentAt) || rank(a.kind) - rank(b.kind));
  fill($('#notifications'), ...sorted.map(n => h('li', { dataset: { kind: n.kind } },
    h('span', { class: 'hint' }, when(n.sentAt)), ' ', n.text)));
}

// Pay at pickup: the invoice is created when the order is ready, a moment
// after; until then the API answers 404 and the payment is tried again.
$('#pay').addEventListener('click', async e => {
  const btn = e.target;
  const id = $('#order-id').textContent;
  btn.disabled = true;
  try {
    await retrying(() => api('PUT', `/api/payments/invoices/${encodeURIComponent(id)}/pay`), { ms: 15000 });
    say($('#pay-error'), '');
  } catch (err) {
    say($('#pay-error'), err instanceof APIError ? `${err.message} (${err.code})` : err.message);
    btn.disabled = last && last.order && last.order.status !== 'ready';
  }
});

$('#next-customer').addEventListener('click', () => {
  if (stream) stream.close();
  if (polling) { clearInterval(polling); polling = null; }
  sessionStorage.removeItem(ORDER);
  const k = kioskToken();
  if (k) {
    setToken(k);
    setKioskToken('');
  }
  fill($('#stops'), h('li', { class: 'hint' }, 'The stops appear once the shopping list exists.'));
  fill($('#notifications'), h('li', { class: 'hint' }, 'None yet.'));
  start();
});

start();
