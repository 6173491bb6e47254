package chaos

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/mallbots/mallbots/platform/kafkaauth"
)

// The client properties files a process writes for people and scripts
// (docs/adr/0020): the external producers' and the break-glass admin's,
// in the librdkafka format kcat -F reads. The tamper scenario connects
// through them as an attacker would, not through the credentials
// directory its own tools use.
const (
	externalProperties = "external.properties"
	adminProperties    = "admin.properties"
)

// propertiesClient reads a librdkafka properties file (key=value lines, #
// comments) of p and returns the options of a client configured from it.
func propertiesClient(p *Proc, file string) ([]kgo.Opt, string, error) {
	path := filepath.Join(p.DataDir, "credentials", file)
	f, err := os.Open(path)
	if err != nil {
		return nil, "", fmt.Errorf("the client properties %s: %w", path, err)
	}
	defer f.Close()
	props := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if k, v, ok := strings.Cut(line, "="); ok {
			props[k] = v
		}
	}
	if err := sc.Err(); err != nil {
		return nil, "", fmt.Errorf("read %s: %w", path, err)
	}
	if props["bootstrap.servers"] == "" || props["sasl.username"] == "" || props["sasl.password"] == "" {
		return nil, "", fmt.Errorf("%s lacks bootstrap.servers, sasl.username or sasl.password", path)
	}
	cfg := kafkaauth.Config{Mechanism: props["sasl.mechanisms"], Username: props["sasl.username"], Password: props["sasl.password"]}
	if err := cfg.Validate(); err != nil {
		return nil, "", fmt.Errorf("%s: %w", path, err)
	}
	opts := append([]kgo.Opt{kgo.SeedBrokers(strings.Split(props["bootstrap.servers"], ",")...)}, cfg.KgoOpts()...)
	return opts, cfg.Username, nil
}
