package browsertest

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// The console's own text/event-stream parser (assets/js/sse.js), fed the
// same stream cut into chunks at every byte, must read what the HTML
// standard says a stream means: events split across chunks, CR, LF and
// CRLF line ends (a CRLF split between two chunks too), multi-line data,
// comments, ids, retry, a space after the colon removed once, and no event
// without data.
func TestTheEventStreamParserReadsStreamsCutAnywhere(t *testing.T) {
	tb := openTab(t, laptop, 20*time.Second)
	tb.goTo("/")
	const check = `(async () => {
  const { EventStreamParser } = await import('/assets/js/sse.js');
  const stream = ': ping\r\n\r\nevent: order\r\ndata: {"a":1}\r\n\r\ndata:  two spaces\rdata:line 2\r\rid: 7\nretry: 1500\nevent: x\n\nevent: ignored\n\ndata\n\n';
  const want = [
    { type: 'order', data: '{"a":1}', id: '' },
    { type: 'message', data: ' two spaces\nline 2', id: '' },
    { type: 'message', data: '', id: '7' },
  ];
  const results = [];
  for (let cut = 0; cut <= stream.length; cut++) {
    for (const size of [1, 2, 3, 7, stream.length]) {
      const got = [], comments = [];
      const p = new EventStreamParser(ev => got.push(ev), c => comments.push(c));
      const chunks = [stream.slice(0, cut)];
      for (let i = cut; i < stream.length; i += size) chunks.push(stream.slice(i, i + size));
      for (const c of chunks) p.push(c);
      const ok = JSON.stringify(got) === JSON.stringify(want) && p.retry === 1500 && comments.join() === 'ping';
      if (!ok) results.push({ cut, size, got, comments, retry: p.retry });
    }
  }
  return JSON.stringify(results.slice(0, 3));
})()`
	got, err := chromedp.Run(tb.ctx, chromedp.Evaluate[string](check, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	var failures []any
	if err := json.Unmarshal([]byte(got), &failures); err != nil {
		t.Fatalf("%v: %s", err, got)
	}
	if len(failures) > 0 {
		t.Fatalf("the parser read the stream wrong when cut so (the first ones): %s", got)
	}
}
