package system

import (
	"context"
	"fmt"

	"github.com/mallbots/mallbots/emitters"
	"github.com/mallbots/mallbots/processors/depot/bots"
	"github.com/mallbots/mallbots/topics"
)

// NoBots as Config.Bots runs no bot pool (--bots=0).
const NoBots = -1

// startBots starts the depot's bot pool (Config.Bots bots, the botpool
// component). It authenticates as its own principal, which may send only
// the bots' and shopping lists' commands (topics.BotPoolSends), so it has
// its own producer and results reader even beside the API; it shows its
// readiness as "bot pool".
func (s *System) startBots(ctx context.Context) error {
	if s.cfg.Bots < 0 || !s.cfg.runs(ComponentBotPool) {
		return nil
	}
	opts, err := s.kafkaClientOptsAs("botpool-results", topics.RoleBotPool)
	if err != nil {
		return err
	}
	results, err := emitters.NewResults(opts, s.sd, s.log)
	if err != nil {
		return err
	}
	s.goRun(ctx, "bot pool results", results.Run)
	gc, err := s.gokaRuntimeAs(topics.RoleBotPool)
	if err != nil {
		return err
	}
	cmds, err := emitters.NewFor(topics.BotPoolSends, s.brokers, s.sd, results, gc.EmitterOptions()...)
	if err != nil {
		return err
	}
	s.closers = append(s.closers, func(context.Context) error { cmds.Close(); return nil })
	pool, err := bots.New(s.cfg.Bots, cmds, bots.WithShoppingTime(s.cfg.BotShoppingTime), bots.WithLogger(s.log))
	if err != nil {
		return fmt.Errorf("bot pool: %w", err)
	}
	feeds, err := bots.Views(pool, s.brokers, s.sd, gc.ViewOptions)
	if err != nil {
		return err
	}
	s.checks = append(s.checks, check{"bot pool", pool.Ready})
	s.goRun(ctx, "bot pool", func(ctx context.Context) error {
		select {
		case <-results.Ready():
		case <-ctx.Done():
			return nil
		}
		return pool.Run(ctx, feeds...)
	})
	return nil
}
