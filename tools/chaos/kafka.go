package chaos

import (
	"path/filepath"
	"sync"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/mallbots/mallbots/platform/kafkaauth"
	"github.com/mallbots/mallbots/topics"
)

// The processes' embedded brokers enforce the catalogue's ACLs: chaos
// connects to them as its own principal (topics.RoleChaos), whose
// password the process generated in its data directory. brokerCreds maps
// each embedded broker's address to that directory (NewProc records it).
var brokerCreds sync.Map // broker address → credentials directory

// credentialsDir is where a process keeps its principals' passwords.
func (p *Proc) credentialsDir() string { return filepath.Join(p.DataDir, "credentials", "kafka") }

// chaosOpts are the options of a client of broker as the chaos principal;
// the bare address when broker's process runs without credentials
// (--insecure-kafka-no-auth) or they cannot be read.
func chaosOpts(broker string) []kgo.Opt {
	opts := []kgo.Opt{kgo.SeedBrokers(broker)}
	dir, ok := brokerCreds.Load(broker)
	if !ok {
		return opts
	}
	creds, err := kafkaauth.LoadCredentials(dir.(string))
	if err != nil {
		return opts
	}
	auth, err := creds.As(kafkaauth.Config{}, topics.PrincipalName(topics.RoleChaos))
	if err != nil {
		return opts
	}
	return append(opts, auth.KgoOpts()...)
}
