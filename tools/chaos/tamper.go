package chaos

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/mallbots/mallbots/schemas/serde"
)

// tamperBudget bounds the whole tamper scenario: it stops by itself.
const tamperBudget = 10 * time.Minute

// Tamper tries to rewrite the event log (issue 22, part 4; docs/adr/0020
// and 0021) while the ledger's workers and the shoppers use the mall.
//
// First without the rights: with the external producers' credentials
// (external.properties) and with none, it appends to every event and table
// topic, deletes records, deletes the topics, sets their retention to a
// minute (AlterConfigs and IncrementalAlterConfigs) and commits offsets
// for every processor group, each request sent straight to the broker.
// Every attempt must be refused (the report counts the broker's answers
// by kind), nothing may change (tamper_state.go), /readyz must stay 200
// throughout, and the ledger's check must find nothing lost or doubled.
//
// Then as the break-glass admin (admin.properties): an altered copy of a
// StoreCreated (same key and event id, its hash kept), a customer's first
// event appended again after its later ones, a fabricated rebrand with a
// made-up hash, and the first records of a customers partition deleted.
// Verify must report exactly those records, each at its offset with its
// kind, and what the deletion leaves behind (a gap, or a snapshot without
// events, per aggregate cut), nothing else; ClickHouse must keep the
// altered event's true row; the processors must go on acknowledging.
func Tamper(ctx context.Context, cfg Config) (r Report, err error) {
	ctx, cancel := context.WithTimeout(ctx, tamperBudget)
	defer cancel()
	r, start, p, err := startSingle(ctx, &cfg, "tampering with the event log, without the rights and as the admin, under load")
	if err != nil {
		return r, err
	}
	defer p.Stop()
	ready := watchReady(p)
	defer ready.stop()
	defer func() { r.Duration, r.Dir = time.Since(start), cfg.Dir }()
	rng := rand.New(rand.NewPCG(cfg.Seed, 6))

	ledger, stop := load(&cfg, p.API, p.Token)
	pause(ctx, rng, 5*time.Second, 5*time.Second) // records, tables and offsets to aim at
	if err := refuseAll(ctx, &cfg, &r, p); err != nil {
		stop()
		return r, err
	}
	if err := ackedMore(ctx, ledger, 10, time.Minute); err != nil {
		r.Problems = append(r.Problems, "the processors stopped acknowledging after the attacks: "+err.Error())
	}
	stop()
	if err := Check(ctx, &r, p, ledger); err != nil {
		return r, err
	}

	next, stopNext := load(&cfg, p.API, p.Token)
	err = tamperPhase(ctx, &cfg, &r, p, ledger, next, stopNext)
	stopNext()
	ready.stop()
	r.Extra = append(r.Extra, fmt.Sprintf("readiness: %d polls of /readyz, %d not 200", ready.polls, ready.failures))
	if ready.failures > 0 {
		r.Problems = append(r.Problems, fmt.Sprintf("/readyz was not 200 %d times (first: %s)", ready.failures, ready.first))
	}
	return r, err
}

// refuseAll is the first part: every attack as the external producer and
// as nobody, and the state of the targets before and after.
func refuseAll(ctx context.Context, cfg *Config, r *Report, p *Proc) error {
	admin, _, err := propertiesClient(p, adminProperties)
	if err != nil {
		return err
	}
	acl, err := kgo.NewClient(admin...)
	if err != nil {
		return err
	}
	defer acl.Close()
	adm := kadm.NewClient(acl)
	t := targetsOfTamper()
	before, err := readLogState(ctx, adm, t)
	if err != nil {
		return err
	}
	external, user, err := propertiesClient(p, externalProperties)
	if err != nil {
		return err
	}
	attackers := []struct {
		who  string
		opts []kgo.Opt
	}{{"external producer " + user, external}, {"no credentials", []kgo.Opt{kgo.SeedBrokers(p.Kafka)}}}
	var atts []attempt
	for _, a := range attackers {
		got, err := attackAll(ctx, a.who, a.opts, t, nil)
		if err != nil {
			return fmt.Errorf("attack as %s: %w", a.who, err)
		}
		cfg.logf("%d attempts as %s", len(got), a.who)
		atts = append(atts, got...)
	}
	after, err := readLogState(ctx, adm, t)
	if err != nil {
		return err
	}
	lines, accepted := summarize(atts)
	r.Faults += len(atts)
	r.Extra = append(r.Extra, fmt.Sprintf("attempts without the rights on %d topics and %d processor groups: %d, refused %d",
		len(t.topics), len(t.groups), len(atts), len(atts)-len(accepted)))
	for _, l := range lines {
		r.Extra = append(r.Extra, "  "+l)
	}
	r.Problems = append(r.Problems, accepted...)
	for _, a := range atts {
		if a.refused && strings.HasPrefix(a.who, "external") && !strings.Contains(a.answer, "AUTHORIZATION_FAILED") {
			r.Problems = append(r.Problems, fmt.Sprintf("%s: %s on %s was refused, but not by an ACL (%s)", a.who, a.kind, a.target, a.answer))
		}
	}
	problems, figures, err := unchanged(ctx, admin, before, after)
	if err != nil {
		return err
	}
	r.Extra = append(r.Extra, figures)
	r.Problems = append(r.Problems, problems...)
	return nil
}

// tamperPhase is the second part: the admin's tampers under load (of
// next), then, quiet, verify and the warehouse. done is the first part's
// ledger, whose aggregates nothing writes any more.
func tamperPhase(ctx context.Context, cfg *Config, r *Report, p *Proc, done, next *Ledger, stop func()) error {
	sd, err := p.serde(ctx)
	if err != nil {
		return err
	}
	v, err := chooseVictims(ctx, p, sd, done)
	if err != nil {
		return err
	}
	trueRow, err := warehouseRow(ctx, p, v.altered.meta().EventID)
	if err != nil {
		return err
	}
	conflictsBefore, cerr := projectionConflicts(ctx, p)
	tampers, err := tamperAsAdmin(ctx, p, sd, v)
	if err != nil {
		return err
	}
	r.Faults += len(tampers)
	for _, t := range tampers {
		cfg.logf("admin: %s", t.what)
	}
	if err := ackedMore(ctx, next, 10, time.Minute); err != nil {
		r.Problems = append(r.Problems, "the processors stopped acknowledging after the admin's tampers: "+err.Error())
	}
	stop()
	if err := drained(ctx, p.Kafka, time.Minute); err != nil {
		r.Problems = append(r.Problems, err.Error())
	}
	after, err := truncationFindings(ctx, p, sd, v)
	if err != nil {
		return err
	}
	if err := verifyTampers(ctx, cfg, r, p, sd, append(tampers, after...)); err != nil {
		return err
	}
	row, err := warehouseRow(ctx, p, v.altered.meta().EventID)
	if err != nil {
		return err
	}
	r.Extra = append(r.Extra, fmt.Sprintf("warehouse: the altered event %s has %d row(s) in mallbots.events, payload %s", v.altered.meta().EventID, row.rows, row.payload))
	if row.payload != trueRow.payload || row.hash != trueRow.hash {
		r.Problems = append(r.Problems, fmt.Sprintf("mallbots.events answers the altered copy of %s: payload %s (was %s)", v.altered.meta().EventID, row.payload, trueRow.payload))
	}
	conflictsAfter, err := projectionConflicts(ctx, p)
	if err == nil && cerr == nil {
		r.Extra = append(r.Extra, fmt.Sprintf("projection conflicts (mallbots_projection_conflicts_total) during the tampers: %.0f", conflictsAfter-conflictsBefore))
	}
	r.Extra = append(r.Extra, fmt.Sprintf("acknowledged while and after the admin tampered: %d", len(next.Acked())))
	return nil
}

// verifyTampers runs verify on the quiet log and compares its findings with
// the tampers'.
func verifyTampers(ctx context.Context, cfg *Config, r *Report, p *Proc, sd *serde.Serde, want []tamper) error {
	rep, err := verifyLog(ctx, p, sd)
	if err != nil {
		return fmt.Errorf("verify after the admin's tampers: %w", err)
	}
	var out bytes.Buffer
	rep.Print(&out)
	cfg.logf("verify after the admin's tampers:")
	for _, line := range strings.Split(strings.TrimRight(out.String(), "\n"), "\n") {
		cfg.logf("  %s", line)
	}
	ds := rep.Discrepancies()
	byKind := map[string]int{}
	for _, d := range ds {
		byKind[string(d.Problem)]++
	}
	var kinds []string
	for k, n := range byKind {
		kinds = append(kinds, fmt.Sprintf("%s %d", k, n))
	}
	slices.Sort(kinds)
	var dups int64
	for _, t := range rep.Types {
		dups += t.Duplicates
	}
	missing, extra := compareFindings(want, ds)
	r.Extra = append(r.Extra, fmt.Sprintf("verify after the admin's tampers: %d discrepancies (%s), %d duplicates; expected %d, each found: %d, not tampered with: %d",
		len(ds), strings.Join(kinds, ", "), dups, len(want), len(want)-len(missing), len(extra)))
	r.Problems = append(r.Problems, missing...)
	r.Problems = append(r.Problems, extra...)
	return nil
}
