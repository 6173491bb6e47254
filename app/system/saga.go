package system

import (
	"context"

	"github.com/mallbots/mallbots/processors/saga"
	"github.com/mallbots/mallbots/topics"
)

// startSagaClock starts the clock that times the saga's steps out; its
// view of the saga table also serves GET /api/ordering/{id}/saga.
func (s *System) startSagaClock(ctx context.Context) error {
	if !s.cfg.runs(ComponentSagaClock) && !s.cfg.runs(ComponentAPI) {
		return nil
	}
	var c *saga.Clock
	if s.cfg.runs(ComponentSagaClock) {
		gc, err := s.gokaRuntimeAs(topics.RoleSagaClock)
		if err != nil {
			return err
		}
		if c, err = saga.NewClock(s.brokers, s.sd, s.log, gc.ViewOptions("saga-clock"), gc.EmitterOptions()); err != nil {
			return err
		}
	} else {
		// Serving reads for the API only, as the API: it emits nothing,
		// and the API may not write the saga's replies.
		gc, err := s.gokaRuntimeAs(topics.RoleAPI)
		if err != nil {
			return err
		}
		if c, err = saga.NewReader(s.brokers, s.sd, s.log, gc.ViewOptions("saga-clock")); err != nil {
			return err
		}
	}
	s.clock = c
	s.checks = append(s.checks, check{"saga clock", c.Recovered})
	s.metrics.WatchView("saga-clock", c.Stats, c.Recovered)
	s.goRun(ctx, "saga clock", c.Run)
	return nil
}
