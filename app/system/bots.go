package system

import (
	"context"
	"fmt"

	"github.com/mallbots/mallbots/emitters"
	"github.com/mallbots/mallbots/processors/depot/bots"
)

// NoBots as Config.Bots runs no bot pool (--bots=0).
const NoBots = -1

// startBots starts the depot's bot pool (Config.Bots bots, the botpool
// component). It sends its commands with the API's producer, or with its
// own when this instance runs no API, and shows its readiness as "bot pool".
func (s *System) startBots(ctx context.Context) error {
	if s.cfg.Bots < 0 || !s.cfg.runs(ComponentBotPool) {
		return nil
	}
	cmds := s.cmds
	var resultsReady <-chan struct{}
	if cmds == nil {
		results, err := emitters.NewResults(s.kafkaClientOpts("botpool-results"), s.sd, s.log)
		if err != nil {
			return err
		}
		s.goRun(ctx, "bot pool results", results.Run)
		resultsReady = results.Ready()
		if cmds, err = emitters.New(s.brokers, s.sd, results, s.gokaRuntime().EmitterOptions()...); err != nil {
			return err
		}
		s.closers = append(s.closers, func(context.Context) error { cmds.Close(); return nil })
	}
	pool, err := bots.New(s.cfg.Bots, cmds, bots.WithShoppingTime(s.cfg.BotShoppingTime), bots.WithLogger(s.log))
	if err != nil {
		return fmt.Errorf("bot pool: %w", err)
	}
	feeds, err := bots.Views(pool, s.brokers, s.sd, s.gokaRuntime().ViewOptions)
	if err != nil {
		return err
	}
	s.checks = append(s.checks, check{"bot pool", pool.Ready})
	s.goRun(ctx, "bot pool", func(ctx context.Context) error {
		if resultsReady != nil {
			select {
			case <-resultsReady:
			case <-ctx.Done():
				return nil
			}
		}
		return pool.Run(ctx, feeds...)
	})
	return nil
}
