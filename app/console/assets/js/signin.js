// The sign-in page: a pasted token is decoded here to show whom it is
// for, and kept in this tab's sessionStorage for the other pages.
import { claims, setKioskToken, setToken, token } from './api.js';
import { $, fill, h, say, when } from './dom.js';
import { who } from './layout.js';

const pagesFor = {
  kiosk: [['/console/kiosk', 'Kiosk']],
  customer: [['/console/kiosk', 'Kiosk']],
  analyst: [['/console/orders', 'Orders & analytics'], ['/console/explorer', 'Event explorer']],
  operator: [['/console/operations', 'Operations'], ['/console/orders', 'Orders & analytics'], ['/console/explorer', 'Event explorer']],
};

function show(c) {
  $('#claim-role').textContent = c.role || '(none)';
  $('#claim-subject').textContent = c.subject || '(none)';
  $('#claim-customer').textContent = c.customer || '—';
  $('#claim-expiry').textContent = c.expires ? when(c.expires) + (c.expired ? ' (expired)' : '') : 'never';
  const links = (pagesFor[c.role] || []).map(([href, title]) => h('a', { href, class: 'button' }, title));
  fill($('#next-pages'), ...(links.length ? links : ['no page of the console is for this role']));
  $('#signed-in').hidden = false;
}

$('#signin-form').addEventListener('submit', e => {
  e.preventDefault();
  const t = $('#token').value.trim();
  const c = claims(t);
  if (!c) {
    say($('#token-error'), 'That is not a token: paste the whole output of the command above (three parts separated by dots).');
    return;
  }
  if (c.expired) {
    say($('#token-error'), `That token expired at ${when(c.expires)}: sign a new one.`);
    return;
  }
  say($('#token-error'), '');
  setToken(t);
  setKioskToken('');
  $('#token').value = '';
  who();
  show(c);
});

who();
if (token() && claims()) show(claims());
