// Server-sent events over fetch(). EventSource cannot send an
// Authorization header, so the stream is read with fetch() and a
// ReadableStream and parsed here, as the HTML standard's
// "text/event-stream" section describes: lines end in CRLF, LF or CR;
// "data" lines accumulate, "event" names the type, "id" is remembered (and
// sent back as Last-Event-ID on reconnection), "retry" sets the reconnection
// delay, a line starting with ":" is a comment (the server's pings), and a
// blank line dispatches the event.

// EventStreamParser turns chunks of text into events: {type, data, id}.
export class EventStreamParser {
  constructor(onEvent, onComment = () => {}) {
    this.onEvent = onEvent;
    this.onComment = onComment;
    this.buf = '';
    this.pendingCR = false;
    this.reset();
    this.lastId = '';
    this.retry = null;
  }

  reset() {
    this.type = '';
    this.data = [];
    this.hasData = false;
  }

  push(chunk) {
    let text = chunk;
    if (this.pendingCR) { // a CR ended the last chunk: a LF now belongs to it
      this.pendingCR = false;
      if (text.startsWith('\n')) text = text.slice(1);
    }
    this.buf += text;
    for (;;) {
      const m = /\r\n|\r|\n/.exec(this.buf);
      if (!m) break;
      if (m[0] === '\r' && m.index === this.buf.length - 1) { // CR at the end: maybe CRLF
        this.line(this.buf.slice(0, m.index));
        this.buf = '';
        this.pendingCR = true;
        break;
      }
      this.line(this.buf.slice(0, m.index));
      this.buf = this.buf.slice(m.index + m[0].length);
    }
  }

  line(l) {
    if (l === '') { this.dispatch(); return; }
    if (l.startsWith(':')) { this.onComment(l.slice(1).trimStart()); return; }
    const i = l.indexOf(':');
    const field = i < 0 ? l : l.slice(0, i);
    let value = i < 0 ? '' : l.slice(i + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'data': this.data.push(value); this.hasData = true; break;
      case 'event': this.type = value; break;
      case 'id': if (!value.includes('\0')) this.lastId = value; break;
      case 'retry': if (/^\d+$/.test(value)) this.retry = Number(value); break;
      default: break; // unknown fields are ignored
    }
  }

  dispatch() {
    if (this.hasData) this.onEvent({ type: this.type || 'message', data: this.data.join('\n'), id: this.lastId });
    this.reset();
  }
}

// StreamError is an answer that is not an event stream.
export class StreamError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

// openStream reads url as an event stream with headers() (called at each
// connection), calling onEvent for each event and onState with 'open',
// 'reconnecting' (and the error) or 'failed' (and the error: an answer of
// 4xx other than 408 and 429 is not retried). It reconnects after the
// server's retry delay (default 1 s), doubling up to 15 s while it fails.
// close() ends it.
export function openStream(url, { headers = () => ({}), onEvent, onState = () => {}, onComment } = {}) {
  let closed = false;
  let ctrl = null;
  let delay = null;
  const run = async () => {
    let failures = 0;
    let lastId = '';
    while (!closed) {
      ctrl = new AbortController();
      let opened = false;
      try {
        const h = { Accept: 'text/event-stream', ...headers() };
        if (lastId) h['Last-Event-ID'] = lastId;
        const res = await fetch(url, { headers: h, signal: ctrl.signal, cache: 'no-store' });
        if (!res.ok || !(res.headers.get('Content-Type') || '').startsWith('text/event-stream')) {
          let msg = `HTTP ${res.status}`;
          let code = '';
          try { const j = await res.json(); msg = j.message || j.code || msg; code = j.code || ''; } catch { /* not JSON */ }
          const err = new StreamError(res.status, code, msg);
          if (res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429) {
            onState('failed', err);
            return;
          }
          throw err;
        }
        opened = true;
        failures = 0;
        onState('open');
        const parser = new EventStreamParser(ev => { lastId = ev.id; onEvent(ev); }, onComment);
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          parser.push(value);
          if (parser.retry !== null) delay = parser.retry;
        }
        if (closed) return;
        onState('reconnecting', new Error('the server ended the stream'));
      } catch (e) {
        if (closed) return;
        onState('reconnecting', e);
      }
      if (!opened) failures++;
      const base = delay ?? 1000;
      await new Promise(r => setTimeout(r, Math.min(15000, base * 2 ** Math.max(0, failures - 1))));
    }
  };
  run();
  return {
    close() {
      closed = true;
      if (ctrl) ctrl.abort();
    },
  };
}
