package depot

import (
	"testing"

	"github.com/mallbots/mallbots/processors/aggregate/aggregatetest"
	"github.com/mallbots/mallbots/schemas/depot"
)

type botSpec = aggregatetest.Spec[depot.BotCommand, depot.BotEvent]

func botAssigned(list string) depot.BotEvent { return &depot.BotAssigned{ShoppingListID: list} }
func botReleased(list string) depot.BotEvent { return &depot.BotReleased{ShoppingListID: list} }

func TestBotRules(t *testing.T) {
	aggregatetest.Run(t, BotRules, []botSpec{
		{Name: "an unknown bot is idle and can be assigned",
			When: &depot.AssignBot{ShoppingListID: "list-1"}, Then: []depot.BotEvent{botAssigned("list-1")}},
		{Name: "a released bot can be assigned again",
			Given: []depot.BotEvent{botAssigned("list-1"), botReleased("list-1")},
			When:  &depot.AssignBot{ShoppingListID: "list-2"}, Then: []depot.BotEvent{botAssigned("list-2")}},
		{Name: "a bot active on another list is busy",
			Given: []depot.BotEvent{botAssigned("list-1")},
			When:  &depot.AssignBot{ShoppingListID: "list-2"}, Err: ErrBotBusy},
		{Name: "assigning a bot to the list it is on changes nothing",
			Given: []depot.BotEvent{botAssigned("list-1")},
			When:  &depot.AssignBot{ShoppingListID: "list-1"}, Then: nil},
		{Name: "assigning a bot to no list fails",
			When: &depot.AssignBot{ShoppingListID: ""}, Err: ErrShoppingListIDBlank},
		{Name: "releasing a bot from its list",
			Given: []depot.BotEvent{botAssigned("list-1")},
			When:  &depot.ReleaseBot{ShoppingListID: "list-1"}, Then: []depot.BotEvent{botReleased("list-1")}},
		{Name: "releasing an idle bot changes nothing",
			Given: []depot.BotEvent{botAssigned("list-1"), botReleased("list-1")},
			When:  &depot.ReleaseBot{ShoppingListID: "list-1"}, Then: nil},
		{Name: "releasing an unknown bot changes nothing",
			When: &depot.ReleaseBot{ShoppingListID: "list-1"}, Then: nil},
		{Name: "a late release never frees a bot from the list it took since",
			Given: []depot.BotEvent{botAssigned("list-1"), botReleased("list-1"), botAssigned("list-2")},
			When:  &depot.ReleaseBot{ShoppingListID: "list-1"}, Then: nil},
		{Name: "releasing from no list fails",
			Given: []depot.BotEvent{botAssigned("list-1")},
			When:  &depot.ReleaseBot{ShoppingListID: " "}, Err: ErrShoppingListIDBlank},
	})
}

func TestTheStateOfABot(t *testing.T) {
	var b depot.Bot
	a := botAssigned("list-1")
	a.EventMetadata().AggregateID = "bot-1"
	b, err := evolveBot(b, a)
	if err != nil || b != (depot.Bot{ID: "bot-1", Status: BotActive, ShoppingListID: "list-1"}) {
		t.Fatalf("after assignment: %+v %v", b, err)
	}
	r := botReleased("list-1")
	r.EventMetadata().AggregateID = "bot-1"
	if b, err = evolveBot(b, r); err != nil || b != (depot.Bot{ID: "bot-1", Status: BotIdle}) {
		t.Fatalf("after release: %+v %v", b, err)
	}
	if _, err := evolveBot(b, nil); err == nil {
		t.Fatal("evolve accepted an event it does not know")
	}
}
