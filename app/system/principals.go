package system

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sr"

	"github.com/mallbots/mallbots/platform/broker"
	"github.com/mallbots/mallbots/platform/gokart"
	"github.com/mallbots/mallbots/platform/kafkaauth"
	"github.com/mallbots/mallbots/platform/registry"
	"github.com/mallbots/mallbots/processors/engine"
	"github.com/mallbots/mallbots/topics"
)

// Every component authenticates as its own principal (topics.Principals):
// each goka group as mallbots-<group>, each projector as
// mallbots-projection.<name>, the API, the saga clock, the bot pool, the
// registry, the metrics and the topic creation as theirs. The embedded
// broker generates their credentials at the first start and enforces the
// catalogue's ACLs (docs/adr/0020-kafka-acls-enforced.md).

// credentialsDir is where the embedded setup keeps the principals'
// passwords, a file each.
func (c Config) credentialsDir() string { return c.dir("credentials", "kafka") }

// The client properties files the embedded setup writes (librdkafka's
// format: kcat -F, confluent-kafka).
func (c Config) externalProperties() string { return c.dir("credentials", "external.properties") }
func (c Config) adminProperties() string    { return c.dir("credentials", "admin.properties") }

// startCredentials loads the principals' credentials: generated in the
// data directory for the embedded broker, read from
// Config.KafkaCredentialsDir for external brokers; none with
// --insecure-kafka-no-auth or a single MALLBOTS_KAFKA_USERNAME.
func (s *System) startCredentials(context.Context) error {
	switch {
	case s.cfg.InsecureKafkaNoAuth:
		s.log.Warn("the embedded Kafka broker runs WITHOUT authentication or ACLs (--insecure-kafka-no-auth): anyone who reaches it may rewrite or delete the event log")
		return nil
	case len(s.cfg.Brokers) == 0:
		var names []string
		for _, p := range topics.Principals() {
			names = append(names, p.Name)
		}
		creds, err := kafkaauth.LoadOrCreate(s.cfg.credentialsDir(), names)
		if err != nil {
			return err
		}
		s.creds = &creds
	case s.cfg.KafkaCredentialsDir != "":
		creds, err := kafkaauth.LoadCredentials(s.cfg.KafkaCredentialsDir)
		if err != nil {
			return fmt.Errorf("%w (check --kafka-credentials-dir)", err)
		}
		s.creds = &creds
	}
	return nil
}

// kafkaAuth is how the principal of role authenticates.
func (s *System) kafkaAuth(role string) (kafkaauth.Config, error) {
	if s.creds == nil {
		return s.cfg.Kafka, nil
	}
	return s.creds.As(s.cfg.Kafka, topics.PrincipalName(role))
}

// KafkaOpts are the franz-go options of a client of the system's brokers
// authenticated as the principal of role (topics.Role*, GroupRole,
// ProjectorRole): tests and tools connect with them as a component would.
func (s *System) KafkaOpts(role string) ([]kgo.Opt, error) {
	auth, err := s.kafkaAuth(role)
	if err != nil {
		return nil, err
	}
	return append([]kgo.Opt{kgo.SeedBrokers(s.brokers...)}, auth.KgoOpts()...), nil
}

// KafkaAuth is the security config of the principal of role.
func (s *System) KafkaAuth(role string) (kafkaauth.Config, error) { return s.kafkaAuth(role) }

// CredentialsDir is the directory of the principals' passwords ("" when
// Kafka is not authenticated per principal).
func (s *System) CredentialsDir() string {
	if s.creds == nil {
		return ""
	}
	return s.creds.Dir()
}

// ClientProperties are the paths of the client properties files the
// embedded setup wrote: the external producers' and the admin's ("" when
// there are none).
func (s *System) ClientProperties() (external, admin string) {
	if s.broker == nil || s.creds == nil {
		return "", ""
	}
	return s.cfg.externalProperties(), s.cfg.adminProperties()
}

// kafkaClientOptsAs are KafkaOpts with kprom's hooks counting the
// client's traffic under component.
func (s *System) kafkaClientOptsAs(component, role string) ([]kgo.Opt, error) {
	opts, err := s.KafkaOpts(role)
	if err != nil {
		return nil, err
	}
	return append(opts, kgo.WithHooks(s.metrics.Kafka(component))), nil
}

// brokerPrincipals are the embedded broker's users: the admin as the
// superuser, every other principal with its ACLs.
func (s *System) brokerPrincipals() (broker.Option, error) {
	admin, err := s.kafkaAuth(topics.RoleAdmin)
	if err != nil {
		return nil, err
	}
	acls := topics.ACLs()
	var users []broker.User
	for _, p := range topics.Principals() {
		if p.Name == topics.PrincipalName(topics.RoleAdmin) {
			continue
		}
		pass, ok := s.creds.Password(p.Name)
		if !ok {
			return nil, fmt.Errorf("no Kafka credentials for %s in %s", p.Name, s.creds.Dir())
		}
		u := broker.User{Name: p.Name, Password: pass}
		for _, a := range acls {
			if a.Principal == p.Kafka() {
				u.ACLs = append(u.ACLs, a)
			}
		}
		users = append(users, u)
	}
	return broker.WithEnforcedACLs(admin, users...), nil
}

// writeClientProperties writes the external producers' and the admin's
// client properties next to the credentials.
func (s *System) writeClientProperties() error {
	for path, role := range map[string]string{s.cfg.externalProperties(): topics.RoleExternal, s.cfg.adminProperties(): topics.RoleAdmin} {
		auth, err := s.kafkaAuth(role)
		if err != nil {
			return err
		}
		if err := kafkaauth.WriteClientProperties(path, s.brokers, auth); err != nil {
			return err
		}
	}
	s.log.Info("Kafka requires SASL/SCRAM-SHA-512 and enforces the catalogue's ACLs",
		"credentials", s.cfg.credentialsDir(), "external_producer_properties", s.cfg.externalProperties(),
		"admin_properties", filepath.Base(s.cfg.adminProperties()))
	return nil
}

// gokaRuntimeAs is goka's runtime with role's credentials: its consumers,
// topic manager and producers authenticate as that principal.
func (s *System) gokaRuntimeAs(role string) (gokart.Runtime, error) {
	auth, err := s.kafkaAuth(role)
	if err != nil {
		return gokart.Runtime{}, err
	}
	opts := []gokart.Option{gokart.WithLogger(s.log), gokart.WithClientID("mallbots-" + s.cfg.InstanceID),
		gokart.WithSarama(auth.Sarama), gokart.WithKafka(append([]kgo.Opt{kgo.SeedBrokers(s.brokers...)}, auth.KgoOpts()...)...),
		gokart.WithSessionTimeout(s.cfg.SessionTimeout), gokart.WithStores(s.stores)}
	if s.cfg.HotStandby {
		opts = append(opts, gokart.WithHotStandby())
	}
	return gokart.New(s.cfg.dir("goka"), opts...), nil
}

// ownerRoles names the group that owns each topic a processor reads
// outside goka: an aggregate's commands, events and table.
func ownerRoles() map[string]string {
	out := map[string]string{}
	for _, a := range topics.EngineAggregates() {
		r := topics.GroupRole(a.Group)
		out[a.Commands.Name], out[a.Events.Name], out[a.Table.Name] = r, r, r
	}
	return out
}

// groupLogs is the processors' event log (engine.LogReader) with a
// client per principal: a group reconciles from its own event topic and
// its committed offsets as itself, and the end offset of a table it looks
// up as itself too (EndOffsetAs). Clients are connected on first use.
type groupLogs struct {
	s      *System
	owners map[string]string

	mu   sync.Mutex
	logs map[string]*engine.KafkaLog
}

func newGroupLogs(s *System) *groupLogs {
	return &groupLogs{s: s, owners: ownerRoles(), logs: map[string]*engine.KafkaLog{}}
}

func (g *groupLogs) as(role string) (*engine.KafkaLog, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if l, ok := g.logs[role]; ok {
		return l, nil
	}
	opts, err := g.s.kafkaClientOptsAs("eventlog", role)
	if err != nil {
		return nil, err
	}
	l, err := engine.NewKafkaLog(opts...)
	if err != nil {
		return nil, err
	}
	g.logs[role] = l
	return l, nil
}

func (g *groupLogs) ofTopic(topic string) (*engine.KafkaLog, error) {
	role, ok := g.owners[topic]
	if !ok {
		return nil, fmt.Errorf("event log: no group of the catalogue owns %s", topic)
	}
	return g.as(role)
}

// EndOffset implements engine.LogReader.
func (g *groupLogs) EndOffset(ctx context.Context, topic string, partition int32) (int64, error) {
	l, err := g.ofTopic(topic)
	if err != nil {
		return 0, err
	}
	return l.EndOffset(ctx, topic, partition)
}

// EndOffsetAs reads a partition's end offset as group: a lookup's
// catch-up (gokart.Lookups) asks as the group whose copy of the table
// waits, which may read the table it looks up, not as the table's owner.
func (g *groupLogs) EndOffsetAs(ctx context.Context, group, topic string, partition int32) (int64, error) {
	l, err := g.as(topics.GroupRole(group))
	if err != nil {
		return 0, err
	}
	return l.EndOffset(ctx, topic, partition)
}

// Since implements engine.LogReader.
func (g *groupLogs) Since(ctx context.Context, topic string, partition int32, t time.Time, fn func(*kgo.Record)) error {
	l, err := g.ofTopic(topic)
	if err != nil {
		return err
	}
	return l.Since(ctx, topic, partition, t, fn)
}

// Between implements engine.LogReader.
func (g *groupLogs) Between(ctx context.Context, topic string, partition int32, from, to int64, fn func(*kgo.Record)) error {
	l, err := g.ofTopic(topic)
	if err != nil {
		return err
	}
	return l.Between(ctx, topic, partition, from, to, fn)
}

// Committed implements engine.LogReader.
func (g *groupLogs) Committed(ctx context.Context, group, topic string) (map[int32]int64, error) {
	l, err := g.as(topics.GroupRole(group))
	if err != nil {
		return nil, err
	}
	return l.Committed(ctx, group, topic)
}

// Close closes every client.
func (g *groupLogs) Close(context.Context) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, l := range g.logs {
		l.Close()
	}
	return nil
}

// registryOptions configure the embedded registry: with the principals'
// credentials, only the registry's principal (which registers the
// contract's schemas at start) and the admin may register schemas or
// change the compatibility or the mode (HTTP basic auth); reads stay open
// on loopback.
func (s *System) registryOptions() []registry.Option {
	opts := []registry.Option{registry.WithLogger(s.log)}
	if s.creds == nil {
		return opts
	}
	writers := map[string]string{}
	for _, role := range []string{topics.RoleRegistry, topics.RoleAdmin} {
		if pass, ok := s.creds.Password(topics.PrincipalName(role)); ok {
			writers[topics.PrincipalName(role)] = pass
		}
	}
	return append(opts, registry.WithWriters(writers))
}

// registryClientOpts are the options of the system's schema registry
// client: the embedded registry's as the registry principal, an external
// one's with MALLBOTS_SCHEMA_REGISTRY_USERNAME.
func (s *System) registryClientOpts(url string) []sr.ClientOpt {
	if s.registry != nil && s.creds != nil {
		if pass, ok := s.creds.Password(topics.PrincipalName(topics.RoleRegistry)); ok {
			return []sr.ClientOpt{sr.URLs(url), sr.BasicAuth(topics.PrincipalName(topics.RoleRegistry), pass)}
		}
	}
	return s.cfg.registryOpts(url)
}
