// The API client: every call goes to /api on this origin with the bearer
// token the user signed in with, kept in this tab's sessionStorage.

const TOKEN = 'mallbots.token';
const KIOSK = 'mallbots.kioskToken';

export function token() { return sessionStorage.getItem(TOKEN) || ''; }
export function setToken(t) { sessionStorage.setItem(TOKEN, t); }
export function signOut() { sessionStorage.removeItem(TOKEN); sessionStorage.removeItem(KIOSK); }

// The kiosk's own token, kept while a customer it registered shops.
export function kioskToken() { return sessionStorage.getItem(KIOSK) || ''; }
export function setKioskToken(t) { if (t) sessionStorage.setItem(KIOSK, t); else sessionStorage.removeItem(KIOSK); }

// claims decodes a JWT's payload, here only, to show who the token is for;
// the API verifies the signature. null when it is not a JWT.
export function claims(t = token()) {
  const parts = (t || '').trim().split('.');
  if (parts.length !== 3) return null;
  try {
    const b64 = parts[1].replace(/-/g, '+').replace(/_/g, '/');
    const bin = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
    const p = JSON.parse(new TextDecoder().decode(Uint8Array.from(bin, c => c.charCodeAt(0))));
    const exp = typeof p.exp === 'number' ? new Date(p.exp * 1000) : null;
    return {
      role: p.mallbots_role || '', subject: p.sub || '', customer: p.mallbots_customer || '',
      stores: [].concat(p.mallbots_stores || []), expires: exp, expired: !!exp && exp <= new Date(),
    };
  } catch {
    return null;
  }
}

// APIError is an answer other than 2xx: its status, code and message.
export class APIError extends Error {
  constructor(status, code, message) {
    super(message || code || `HTTP ${status}`);
    this.status = status;
    this.code = code || '';
  }
}

// api sends one request and answers its JSON body. A write carries a new
// Idempotency-Key, sent again with the same request when the API answers
// 503 (the command may not have reached Kafka); a create answered 202 (the
// command is in Kafka, its result not yet known) took its id from that key.
export async function api(method, path, body, { signal } = {}) {
  const headers = { Authorization: 'Bearer ' + token(), Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const write = method !== 'GET' && method !== 'HEAD';
  if (write) headers['Idempotency-Key'] = crypto.randomUUID();
  for (let attempt = 0; ; attempt++) {
    const res = await fetch(path, {
      method, headers, signal, cache: 'no-store',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let json = null;
    try { json = text ? JSON.parse(text) : null; } catch { json = null; }
    if (res.ok) {
      if (res.status === 202 && write && json && !json.id) return { ...json, id: headers['Idempotency-Key'], pending: true };
      return json;
    }
    if (res.status === 503 && write && attempt < 2) {
      await new Promise(r => setTimeout(r, 500 * (attempt + 1)));
      continue;
    }
    throw new APIError(res.status, json && json.code, (json && json.message) || text.trim());
  }
}

// poll calls fn until it answers without an APIError of one of the given
// statuses, for up to ms; the last error is thrown.
export async function retrying(fn, { statuses = [404], ms = 10000, every = 250 } = {}) {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await fn();
    } catch (e) {
      if (!(e instanceof APIError) || !statuses.includes(e.status) || Date.now() > deadline) throw e;
      await new Promise(r => setTimeout(r, every));
    }
  }
}
