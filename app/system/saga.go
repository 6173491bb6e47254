package system

import (
	"context"

	"github.com/mallbots/mallbots/processors/saga"
)

// startSagaClock starts the clock that times the saga's steps out; its
// view of the saga table also serves GET /api/ordering/{id}/saga.
func (s *System) startSagaClock(ctx context.Context) error {
	if !s.cfg.runs(ComponentSagaClock) && !s.cfg.runs(ComponentAPI) {
		return nil
	}
	gc := s.gokaRuntime()
	c, err := saga.NewClock(s.brokers, s.sd, s.log, gc.ViewOptions("saga-clock"), gc.EmitterOptions())
	if err != nil {
		return err
	}
	if !s.cfg.runs(ComponentSagaClock) {
		c.Quiet() // serving reads for the API only
	}
	s.clock = c
	s.checks = append(s.checks, check{"saga clock", c.Recovered})
	s.metrics.WatchView("saga-clock", c.Stats, c.Recovered)
	s.goRun(ctx, "saga clock", c.Run)
	return nil
}
