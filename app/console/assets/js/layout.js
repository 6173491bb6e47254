// What every page does: show who is signed in (role, subject, expiry) with
// a way out, and say so when the page's API calls need another role.
import { claims, signOut, token } from './api.js';
import { $, fill, h, say, when } from './dom.js';

export function who() {
  const c = claims();
  const box = $('#who');
  if (!c) {
    fill(box, h('a', { href: '/' }, 'Sign in'));
  } else {
    fill(box,
      h('span', { class: 'role', id: 'who-role' }, c.role || '?'), ' ',
      h('span', { class: 'subject', title: c.subject }, c.subject), ' ',
      h('span', { class: c.expired ? 'expiry expired' : 'expiry' }, c.expired ? 'expired' : 'until ' + when(c.expires)), ' ',
      h('button', { class: 'link', id: 'sign-out', onclick: () => { signOut(); location.assign('/'); } }, 'Sign out'));
  }
  const roles = (document.body.dataset.roles || '').split(' ').filter(Boolean);
  const warn = $('#role-warning');
  if (roles.length && (!c || !roles.includes(c.role))) {
    fill(warn, `This page needs a token of the role ${roles.join(' or ')}`,
      c ? ` (yours is ${c.role}). ` : '. ', h('a', { href: '/' }, 'Sign in'), '.');
    warn.hidden = false;
  } else if (c && c.expired) {
    say(warn, 'Your token has expired: sign in again.');
  }
  return token() ? c : null;
}
