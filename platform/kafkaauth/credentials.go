package kafkaauth

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Credentials are the SASL passwords of the principals, one file per
// principal in a directory: the file is named after the user name
// (mallbots-stores) and holds its password. The same layout is what a
// Kubernetes Secret mounted as a volume, or a Docker secrets directory,
// looks like, so the embedded default and an external Kafka read their
// credentials the same way (docs/adr/0020-kafka-acls-enforced.md).
type Credentials struct {
	dir   string
	users map[string]string
}

// passwordBytes is the entropy of a generated password: 32 bytes from
// crypto/rand, 43 characters of unpadded URL-safe base64.
const passwordBytes = 32

// LoadOrCreate reads the credentials of users from dir and generates the
// missing ones (crypto/rand), writing each to its own file of mode 0600 in
// dir (mode 0700, created if needed). A password once written is reused on
// later starts. A file of another user in dir is read too.
func LoadOrCreate(dir string, users []string) (Credentials, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return Credentials{}, fmt.Errorf("kafka credentials directory %s: %w", dir, err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return Credentials{}, fmt.Errorf("kafka credentials directory %s: %w", dir, err)
	}
	for _, u := range users {
		path := filepath.Join(dir, u)
		if _, err := os.Stat(path); err == nil {
			continue
		} else if !errors.Is(err, fs.ErrNotExist) {
			return Credentials{}, fmt.Errorf("kafka credentials of %s: %w", u, err)
		}
		pass, err := newPassword()
		if err != nil {
			return Credentials{}, err
		}
		if err := writeSecret(path, []byte(pass+"\n")); err != nil {
			return Credentials{}, fmt.Errorf("kafka credentials of %s: %w", u, err)
		}
	}
	return LoadCredentials(dir)
}

// LoadCredentials reads every principal's password in dir (a file per
// user name, a trailing newline ignored; hidden files and directories are
// skipped, as Kubernetes' ..data links are). It generates nothing: a
// missing user is reported by Config.
func LoadCredentials(dir string) (Credentials, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return Credentials{}, fmt.Errorf("kafka credentials directory: %w", err)
	}
	c := Credentials{dir: dir, users: map[string]string{}}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") || strings.HasSuffix(e.Name(), ".properties") {
			continue
		}
		path := filepath.Join(dir, e.Name())
		st, err := os.Stat(path) // follows the links of a mounted Secret
		if err != nil || st.IsDir() {
			continue
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return Credentials{}, fmt.Errorf("kafka credentials of %s: %w", e.Name(), err)
		}
		c.users[e.Name()] = strings.TrimRight(string(b), "\r\n")
	}
	return c, nil
}

// Dir is the directory the credentials were read from.
func (c Credentials) Dir() string { return c.dir }

// Users lists the user names held, sorted.
func (c Credentials) Users() []string {
	out := make([]string, 0, len(c.users))
	for u := range c.users {
		out = append(out, u)
	}
	sort.Strings(out)
	return out
}

// Password is the password of user; false when the directory has none.
func (c Credentials) Password(user string) (string, bool) {
	p, ok := c.users[user]
	return p, ok && p != ""
}

// As is base (its TLS settings, its mechanism or SCRAM-SHA-512) with
// user's credentials. It fails when the directory holds no password for
// user, naming the file to add.
func (c Credentials) As(base Config, user string) (Config, error) {
	pass, ok := c.Password(user)
	if !ok {
		return Config{}, fmt.Errorf("no Kafka credentials for %s: add the file %s holding its password", user, filepath.Join(c.dir, user))
	}
	base.Username, base.Password = user, pass
	if base.Mechanism == "" {
		base.Mechanism = ScramSHA512
	}
	return base, nil
}

func newPassword() (string, error) {
	b := make([]byte, passwordBytes)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generate a Kafka password: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// writeSecret writes b to path with mode 0600, through a temporary file
// renamed into place, so that a crash leaves either no file or a whole one.
func writeSecret(path string, b []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	if err := os.Chmod(tmp, 0o600); err != nil { // WriteFile keeps the mode of a leftover
		return err
	}
	return os.Rename(tmp, path)
}

// ClientProperties is a client configuration in the librdkafka properties
// format, which kcat (-F) and confluent-kafka (Python, Go, .NET) read:
// bootstrap.servers, and SASL/SCRAM over plaintext with cfg's credentials.
func ClientProperties(brokers []string, cfg Config) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# MallBots: a Kafka client as %s (kcat -F this-file; confluent-kafka: read it into a dict).\n", cfg.Username)
	fmt.Fprintf(&b, "bootstrap.servers=%s\n", strings.Join(brokers, ","))
	protocol := "SASL_PLAINTEXT"
	if cfg.TLSEnabled() {
		protocol = "SASL_SSL"
	}
	fmt.Fprintf(&b, "security.protocol=%s\n", protocol)
	fmt.Fprintf(&b, "sasl.mechanisms=%s\n", cfg.mechanism())
	fmt.Fprintf(&b, "sasl.username=%s\n", cfg.Username)
	fmt.Fprintf(&b, "sasl.password=%s\n", cfg.Password)
	return b.String()
}

// WriteClientProperties writes ClientProperties to path with mode 0600.
func WriteClientProperties(path string, brokers []string, cfg Config) error {
	if err := writeSecret(path, []byte(ClientProperties(brokers, cfg))); err != nil {
		return fmt.Errorf("write the Kafka client properties %s: %w", path, err)
	}
	return nil
}
