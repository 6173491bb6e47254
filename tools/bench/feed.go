package bench

import (
	"context"
	"time"
)

// feed draws the next record a stage produces.
type feed func() (key, value []byte)

// produceStage runs st with next's records produced to topic by a
// producer of its own, and returns how many the broker acknowledged.
func (e *env) produceStage(ctx context.Context, st stage, topic string, next feed) (stageResult, int64, error) {
	p, err := newProducer(e.kafka.brokers, 5*time.Millisecond)
	if err != nil {
		return stageResult{}, 0, err
	}
	defer p.close()
	st.produce = func(ctx context.Context) {
		k, v := next()
		p.produce(ctx, topic, k, v)
	}
	st.flush = p.flush
	res, err := st.run(ctx)
	return res, p.acked.Load(), err
}

// feedStage runs a sustained stage named name that produces next's
// records to topic and counts completions as the records appended to
// done; limit, when positive, ends it after that many.
func (e *env) feedStage(ctx context.Context, name, topic, done string, d time.Duration, limit int64, next feed) (stageResult, int64, error) {
	st := e.stageOf(name, d)
	st.limit = limit
	st.completes = "records reached " + done
	st.complete = func(ctx context.Context) (int64, error) { return e.kafka.endSum(ctx, done) }
	return e.produceStage(ctx, st, topic, next)
}
