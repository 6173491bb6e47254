package bots

import (
	"context"
	"strconv"
	"time"

	"github.com/mallbots/mallbots/schemas"
	"github.com/mallbots/mallbots/schemas/depot"
)

// settleTimeout bounds how long a bot waits for the bots table to show
// its own latest command before it looks at its state again.
const settleTimeout = 10 * time.Second

// work is one bot's life: resume the list it is on, or take the oldest
// available one, until ctx ends.
func (p *Pool) work(ctx context.Context, id string) {
	var last botState // the state the last trip started from
	for ctx.Err() == nil {
		st := p.bot(id)
		if st.active {
			if st.version == last.version && st.list == last.list {
				// The table still shows the trip just made: wait for it to
				// move rather than repeat the trip at once.
				p.waitChange(ctx, st.changed)
				if st = p.bot(id); !st.active {
					continue
				}
			}
			last = st
			p.index.Reserve(st.list)
			p.trip(ctx, id, st.list)
			continue
		}
		list, ok := p.next(ctx, st.changed)
		if !ok {
			continue // the bot's state changed (or ctx ended): look again
		}
		p.take(ctx, id, st.version, list)
	}
}

// next waits for a list to claim; it gives up when the bot's state changes
// (someone else made it active) or ctx ends.
func (p *Pool) next(ctx context.Context, botChanged <-chan struct{}) (string, bool) {
	for {
		changed := p.index.Changed()
		if list, ok := p.index.Claim(); ok {
			return list, true
		}
		select {
		case <-ctx.Done():
			return "", false
		case <-botChanged:
			return "", false
		case <-changed:
		}
	}
}

// take assigns an idle bot (at version) to a claimed list, then makes the
// trip. The AssignBot id includes the bot's version: retried as is, it is
// deduplicated; after a refusal (the bot was busy) the next attempt is a new
// command, not the recorded refusal again.
func (p *Pool) take(ctx context.Context, bot string, version int64, list string) {
	cmd := &depot.AssignBot{ShoppingListID: list}
	p.meta(&cmd.CommandMeta, bot, "assign-bot/"+bot+"/"+list+"/v"+strconv.FormatInt(version, 10), list)
	res, ok := p.do(ctx, cmd)
	if !ok {
		p.index.Unclaim(list)
		return
	}
	if !res.Accepted {
		// Busy on another list: a command of a previous run we had not seen
		// yet. Give the list back and resume that one once the table shows it.
		p.cfg.log.Info("bot busy on another shopping list", "bot_id", bot, "shopping_list_id", list, "reason", res.Message)
		p.index.Unclaim(list)
		p.settle(ctx, bot, res.Version)
		return
	}
	p.trip(ctx, bot, list)
}

// trip takes a bot that is active on list through the rest of its trip:
// assign the list to it, shop, complete, release. Every step is safe to
// repeat (see the package doc), so a resumed bot simply starts here.
func (p *Pool) trip(ctx context.Context, bot, list string) {
	log := p.cfg.log.With("bot_id", bot, "shopping_list_id", list)
	assign := &depot.AssignShoppingList{BotID: bot}
	p.meta(&assign.CommandMeta, list, "assign-list/"+list+"/"+bot, list)
	res, ok := p.do(ctx, assign)
	if !ok {
		return
	}
	if res.Accepted {
		log.Debug("bot shopping", "for", p.cfg.shoppingTime)
		if !sleep(ctx, p.cfg.shoppingTime) {
			return
		}
		complete := &depot.CompleteShoppingList{}
		p.meta(&complete.CommandMeta, list, "complete/"+list+"/"+bot, list)
		if res, ok = p.do(ctx, complete); !ok {
			return
		}
		if res.Accepted {
			p.completed.Add(1)
			log.Debug("shopping list completed")
		} else {
			log.Info("shopping list not completed", "reason", res.Message)
		}
	} else {
		log.Info("shopping list not assigned to the bot", "reason", res.Message)
	}
	release := &depot.ReleaseBot{ShoppingListID: list}
	p.meta(&release.CommandMeta, bot, "release/"+bot+"/"+list, list)
	if res, ok = p.do(ctx, release); !ok {
		return
	}
	p.index.Done(list)
	p.settle(ctx, bot, res.Version)
}

// meta fills in a command's metadata: its id derived from what it does, so
// the same step always has the same id; the correlation id is the list;
// the issuer is the bot pool, a service.
func (p *Pool) meta(m *schemas.CommandMeta, aggregateID, step, list string) {
	m.AggregateID = aggregateID
	m.CommandID = schemas.DerivedID("depot/bots/" + step)
	m.CorrelationID = list
	m.Issue(schemas.IssuerBotPool, schemas.ServiceRole) // docs/adr/0023
}

// do sends cmd until its result is known, retrying with the same command
// id (the aggregate answers a retry from its record); false once ctx ends.
func (p *Pool) do(ctx context.Context, cmd schemas.Command) (schemas.CommandResult, bool) {
	backoff := p.cfg.retryBackoff
	for {
		attempt, cancel := context.WithTimeout(ctx, p.cfg.commandTimeout)
		res, err := p.cfg.commands.SendAndWait(attempt, cmd)
		cancel()
		if err == nil {
			return res, true
		}
		if ctx.Err() != nil {
			return res, false
		}
		meta := cmd.CommandMetadata()
		p.cfg.log.Warn("bot command without a result, retrying", "command", typeName(cmd), "aggregate_id", meta.AggregateID, "command_id", meta.CommandID, "err", err, "retry_in", backoff)
		if !sleep(ctx, backoff) {
			return res, false
		}
		backoff = min(2*backoff, p.cfg.maxRetryBackoff)
	}
}

// waitChange waits for the bot's state to change, at most settleTimeout.
func (p *Pool) waitChange(ctx context.Context, changed <-chan struct{}) {
	t := time.NewTimer(settleTimeout)
	defer t.Stop()
	select {
	case <-changed:
	case <-ctx.Done():
	case <-t.C:
	}
}

// settle waits until the bots table shows the bot at version or later, so
// the bot's next look at its state sees what its last command did.
func (p *Pool) settle(ctx context.Context, bot string, version int64) {
	deadline := time.NewTimer(settleTimeout)
	defer deadline.Stop()
	for {
		st := p.bot(bot)
		if st.version >= version {
			return
		}
		select {
		case <-st.changed:
		case <-ctx.Done():
			return
		case <-deadline.C:
			p.cfg.log.Warn("the bots table did not show the bot's version in time", "bot_id", bot, "version", version, "shown", st.version)
			return
		}
	}
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

func typeName(cmd schemas.Command) string {
	switch cmd.(type) {
	case *depot.AssignBot:
		return "AssignBot"
	case *depot.AssignShoppingList:
		return "AssignShoppingList"
	case *depot.CompleteShoppingList:
		return "CompleteShoppingList"
	case *depot.ReleaseBot:
		return "ReleaseBot"
	}
	return "command"
}
