package depot

import (
	"fmt"

	"github.com/mallbots/mallbots/processors/aggregate"
	"github.com/mallbots/mallbots/schemas/depot"
	"github.com/mallbots/mallbots/topics"
)

// The statuses of a bot. A bot that has never been assigned does not exist
// as an aggregate and is idle.
const (
	BotIdle   = "idle"
	BotActive = "active"
)

// Bot rejections: the original spec named none; these are the depot's own
// (docs/domain.md, Bot).
var (
	// ErrBotBusy refuses AssignBot while the bot is active on another list.
	ErrBotBusy = aggregate.Reject(aggregate.Invalid, "bot_busy", "the bot is busy")
	// ErrShoppingListIDBlank refuses AssignBot and ReleaseBot without a list.
	ErrShoppingListIDBlank = aggregate.CannotBeBlank("shopping list id")
)

// BotRules are the Bot aggregate's rules. They make assignment exclusive
// and retries harmless:
//
//   - AssignBot{list}: an idle (or unknown) bot becomes active on the list;
//     active on the same list → accepted, no event; active on another list
//     → ErrBotBusy.
//   - ReleaseBot{list}: a bot active on that list becomes idle; an idle or
//     unknown bot, or one active on another list, is left as it is
//     (accepted, no event), so a late or repeated release never frees a bot
//     from a list it took since.
var BotRules = aggregate.Rules[depot.Bot, depot.BotCommand, depot.BotEvent]{
	Type:   topics.Bots.Type,
	Decide: decideBot,
	Evolve: evolveBot,
}

func decideBot(b *depot.Bot, cmd depot.BotCommand, _ aggregate.Facts) ([]depot.BotEvent, error) {
	current := depot.Bot{Status: BotIdle}
	if b != nil {
		current = *b
	}
	active := current.Status == BotActive
	switch c := cmd.(type) {
	case *depot.AssignBot:
		switch {
		case aggregate.Blank(c.ShoppingListID):
			return nil, ErrShoppingListIDBlank
		case active && current.ShoppingListID == c.ShoppingListID:
			return nil, nil
		case active:
			return nil, ErrBotBusy
		}
		return aggregate.One[depot.BotEvent](&depot.BotAssigned{ShoppingListID: c.ShoppingListID}), nil
	case *depot.ReleaseBot:
		switch {
		case aggregate.Blank(c.ShoppingListID):
			return nil, ErrShoppingListIDBlank
		case !active || current.ShoppingListID != c.ShoppingListID:
			return nil, nil
		}
		return aggregate.One[depot.BotEvent](&depot.BotReleased{ShoppingListID: c.ShoppingListID}), nil
	}
	return nil, fmt.Errorf("the bot aggregate does not handle %T", cmd)
}

func evolveBot(b depot.Bot, ev depot.BotEvent) (depot.Bot, error) {
	switch e := ev.(type) {
	case *depot.BotAssigned:
		return depot.Bot{ID: e.AggregateID, Status: BotActive, ShoppingListID: e.ShoppingListID}, nil
	case *depot.BotReleased:
		return depot.Bot{ID: e.AggregateID, Status: BotIdle}, nil
	default:
		return b, fmt.Errorf("the bot aggregate cannot apply %T", ev)
	}
}
