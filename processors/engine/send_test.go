package engine_test

import (
	"errors"
	"testing"

	"github.com/mallbots/mallbots/platform/testkit"
	"github.com/mallbots/mallbots/processors/engine"
	"github.com/mallbots/mallbots/schemas"
	"github.com/mallbots/mallbots/schemas/ordering"
)

// sendTestCommand is a command no contract holds.
type sendTestCommand struct{ schemas.CommandMeta }

// The sender refuses a command for what it holds with an
// *InvalidCommandError naming the empty field, which a group dead-letters
// the input for; a command it cannot route is a bug, another error, which
// fails the record. Check and Send agree, and Send refuses before it emits.
func TestTheSenderTellsACommandWithoutItsIDsFromOneItCannotRoute(t *testing.T) {
	sd, _ := testkit.Serde(t)
	send := engine.Sender{Serde: sd}
	for _, tc := range []struct {
		name    string
		cmd     schemas.Command
		invalid *engine.InvalidCommandError // nil: another error, or none when ok
		ok      bool
	}{
		{"a command with its ids", &ordering.ReadyOrder{CommandMeta: schemas.CommandMeta{CommandID: "c1", AggregateID: "o1"}}, nil, true},
		{"no aggregateId", &ordering.ReadyOrder{CommandMeta: schemas.CommandMeta{CommandID: "c1"}},
			&engine.InvalidCommandError{Command: "mallbots.ordering.ReadyOrder", Field: "aggregateId"}, false},
		{"no commandId", &ordering.CompleteOrder{CommandMeta: schemas.CommandMeta{AggregateID: "o1"}},
			&engine.InvalidCommandError{Command: "mallbots.ordering.CompleteOrder", Field: "commandId"}, false},
		{"not a command of the contract", &sendTestCommand{schemas.CommandMeta{CommandID: "c1", AggregateID: "o1"}}, nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := send.Check(tc.cmd)
			var invalid *engine.InvalidCommandError
			switch {
			case tc.ok:
				if err != nil {
					t.Fatalf("Check: %v", err)
				}
				return
			case err == nil:
				t.Fatal("Check accepts it")
			case tc.invalid == nil && errors.As(err, &invalid):
				t.Fatalf("Check says %v, an *InvalidCommandError: the input would be dead-lettered for a bug", err)
			case tc.invalid != nil && (!errors.As(err, &invalid) || *invalid != *tc.invalid):
				t.Fatalf("Check says %#v, want %#v", err, tc.invalid)
			}
			// A nil goka.Context: Send must refuse before it touches it.
			if sendErr := send.Send(nil, tc.cmd, ""); sendErr == nil || sendErr.Error() != err.Error() {
				t.Fatalf("Send says %v, Check %v", sendErr, err)
			}
		})
	}
}
