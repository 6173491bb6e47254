package main

import (
	"maps"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/types"
	corev1 "k8s.io/api/core/v1"

	"github.com/mallbots/mallbots/app/system"
	"github.com/mallbots/mallbots/topics"
)

// The deployments run Kafka as the embedded broker does (ADR 0020): SCRAM
// users per principal, the catalogue's ACLs enforced, each component
// authenticating as its own principal. These tests hold docker-compose.yml
// and deploy/k8s to that, by parsing them (there is no Docker engine or
// cluster here) and by running the two shell scripts compose relies on.

// kafkaCredentialsSecret is the Kubernetes Secret of the principals'
// passwords, a key per principal.
const kafkaCredentialsSecret = "mallbots-kafka-credentials"

// kafkaPrincipals are the principals a MallBots invocation authenticates
// as (app/system, cmd/mallbots): for run, each component's own (a
// component is named after its role), the API's Idempotency-Key group with
// the API, and mallbots-topics (missing topics are created at every start)
// and mallbots-metrics (the lag watcher); for topics apply the admin (it
// creates ACLs); none for the commands that do not reach Kafka.
func kafkaPrincipals(t *testing.T, where string, got checked) []string {
	t.Helper()
	var roles []string
	switch got.command {
	case "run":
		on := map[string]bool{}
		for _, c := range got.components {
			switch {
			case c == "all":
				for _, n := range system.ComponentNames() {
					on[n] = true
				}
			case c == "none":
			case strings.HasPrefix(c, "-"):
				delete(on, c[1:])
			default:
				on[c] = true
			}
		}
		for _, c := range slices.Sorted(maps.Keys(on)) {
			roles = append(roles, c)
			if c == system.ComponentAPI {
				roles = append(roles, topics.GroupRole(topics.IdempotencyKeys.Group))
			}
		}
		roles = append(roles, topics.RoleTopics, topics.RoleMetrics)
	case "topics apply":
		roles = []string{topics.RoleAdmin}
	case "topics check":
		roles = []string{topics.RoleTopics}
	case "migrate", "load", "":
		return nil
	default:
		t.Errorf("%s: runs mallbots %s, whose Kafka principals this test does not know: add them to kafkaPrincipals", where, got.command)
	}
	var out []string
	for _, r := range roles {
		name := topics.PrincipalName(r)
		if _, ok := topics.PrincipalByName(name); !ok {
			t.Errorf("%s: runs as %s, which is no principal of the catalogue (topics.Principals)", where, name)
		}
		out = append(out, name)
	}
	slices.Sort(out)
	return out
}

func principalNames() []string {
	var names []string
	for _, p := range topics.Principals() {
		names = append(names, p.Name)
	}
	return names
}

// TestComposeKafkaEnforcesTheCatalogueWithAUserPerPrincipal checks the
// Kafka of docker-compose.yml: the KRaft StandardAuthorizer with the admin
// as the only superuser a client can be, SASL/SCRAM-SHA-512 on every
// listener reachable from outside the container, a SCRAM user (a secret
// deploy/kafka/start reads) for every principal of the catalogue; each
// MallBots service given exactly the passwords of the principals it runs
// as; the setup service applying the ACLs as the admin.
func TestComposeKafkaEnforcesTheCatalogueWithAUserPerPrincipal(t *testing.T) {
	p, brokers := composeKafka(t)
	if len(brokers) < 3 {
		t.Errorf("docker-compose.yml runs %d Kafka nodes, want three (replication factor 3, min ISR 2)", len(brokers))
	}
	saslAddrs := map[string]bool{}
	for _, kafka := range brokers {
		checkComposeBroker(t, p, kafka, saslAddrs)
	}
	// The clients reach Kafka on SASL listeners only.
	for name, s := range p.Services {
		for _, b := range strings.Split(serviceEnv(s)["MALLBOTS_BROKERS"], ",") {
			if b != "" && !saslAddrs[b] {
				t.Errorf("docker-compose.yml service %s: MALLBOTS_BROKERS %s is not a SASL listener of a Kafka node", name, b)
			}
		}
	}

	// Each MallBots service: exactly the passwords of its principals.
	commands := map[string][]string{}
	for name, s := range p.Services {
		if !strings.HasPrefix(s.Image, "mallbots:") {
			continue
		}
		where := "docker-compose.yml service " + name
		args := []string(s.Command)
		if len(s.Entrypoint) > 0 {
			args = append(append([]string(nil), s.Entrypoint[1:]...), s.Command...)
		}
		senv := serviceEnv(s)
		got := checkInvocation(t, invocation{where: where, args: args, env: senv})
		want := kafkaPrincipals(t, where, got)
		commands[got.command] = want
		dir := senv["MALLBOTS_KAFKA_CREDENTIALS_DIR"]
		switch {
		case len(want) > 0 && dir == "":
			t.Errorf("%s: connects to Kafka as %v but has no MALLBOTS_KAFKA_CREDENTIALS_DIR", where, want)
		case len(want) > 0:
			if have := mountedPrincipals(t, p, where, s, dir); !slices.Equal(have, want) {
				t.Errorf("%s: mounts the Kafka passwords of %v in %s, want exactly %v (its own principals)", where, have, dir, want)
			}
		default:
			for _, sec := range s.Secrets {
				if strings.HasPrefix(sec.Source, topics.PrincipalPrefix) {
					t.Errorf("%s: does not reach Kafka but mounts the password of %s", where, sec.Source)
				}
			}
		}
	}
	if !slices.Contains(commands["topics apply"], topics.Admin().Name) {
		t.Errorf("no service applies the ACLs (mallbots topics apply as %s)", topics.Admin().Name)
	}

	// The Confluent registry connects with SCRAM, from a JAAS file secret.
	if sr, err := p.GetService("schema-registry"); err == nil {
		e := serviceEnv(sr)
		if e["SCHEMA_REGISTRY_KAFKASTORE_SECURITY_PROTOCOL"] != "SASL_PLAINTEXT" || e["SCHEMA_REGISTRY_KAFKASTORE_SASL_MECHANISM"] != "SCRAM-SHA-512" {
			t.Errorf("docker-compose.yml service schema-registry: its Kafka store does not authenticate with SASL/SCRAM-SHA-512")
		}
		jaas := strings.TrimPrefix(e["SCHEMA_REGISTRY_OPTS"], "-Djava.security.auth.login.config=")
		if !slices.ContainsFunc(sr.Secrets, func(s types.ServiceSecretConfig) bool { return s.Target == jaas }) {
			t.Errorf("docker-compose.yml service schema-registry: the JAAS file %q of SCHEMA_REGISTRY_OPTS is not a secret it mounts", jaas)
		}
		if _, ok := sr.DependsOn["setup"]; !ok {
			t.Errorf("docker-compose.yml service schema-registry: must start after setup (its topic and ACLs)")
		}
	}
}

// checkComposeBroker checks one Kafka node of docker-compose.yml and adds
// the addresses it advertises on SASL listeners to saslAddrs.
func checkComposeBroker(t *testing.T, p *types.Project, kafka types.ServiceConfig, saslAddrs map[string]bool) {
	t.Helper()
	env := serviceEnv(kafka)
	where := "docker-compose.yml service " + kafka.Name

	if got := env["KAFKA_AUTHORIZER_CLASS_NAME"]; got != "org.apache.kafka.metadata.authorizer.StandardAuthorizer" {
		t.Errorf("%s: KAFKA_AUTHORIZER_CLASS_NAME=%q, want KRaft's StandardAuthorizer", where, got)
	}
	if got := env["KAFKA_ALLOW_EVERYONE_IF_NO_ACL_FOUND"]; got != "" && got != "false" {
		t.Errorf("%s: KAFKA_ALLOW_EVERYONE_IF_NO_ACL_FOUND=%q: a resource without ACLs would be open to all", where, got)
	}
	if got := env["KAFKA_SASL_ENABLED_MECHANISMS"]; got != "SCRAM-SHA-512" {
		t.Errorf("%s: KAFKA_SASL_ENABLED_MECHANISMS=%q, want SCRAM-SHA-512 only (PLAIN sends the password)", where, got)
	}

	// Listeners: name → bind address, and their protocols.
	protocols := map[string]string{}
	for _, kv := range strings.Split(env["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"], ",") {
		name, proto, _ := strings.Cut(kv, ":")
		protocols[name] = proto
	}
	// Every listener without SASL binds loopback, or an alias of this
	// broker on a network only the brokers join.
	loopbackOnly := true
	sasl := map[string]bool{}
	for _, l := range strings.Split(env["KAFKA_LISTENERS"], ",") {
		name, addr, _ := strings.Cut(l, "://")
		host, port, _ := strings.Cut(addr, ":")
		switch proto := protocols[name]; proto {
		case "SASL_PLAINTEXT", "SASL_SSL":
			sasl[name] = true
			if jaas := env["KAFKA_LISTENER_NAME_"+name+"_SCRAM___SHA___512_SASL_JAAS_CONFIG"]; !strings.Contains(jaas, "ScramLoginModule") {
				t.Errorf("%s: listener %s: no KAFKA_LISTENER_NAME_%s_SCRAM___SHA___512_SASL_JAAS_CONFIG with the ScramLoginModule", where, name, name)
			}
		case "":
			t.Errorf("%s: listener %s has no protocol in KAFKA_LISTENER_SECURITY_PROTOCOL_MAP", where, name)
		default:
			if host != "127.0.0.1" && host != "localhost" && !brokersOnly(p, kafka, host) {
				loopbackOnly = false
				t.Errorf("%s: listener %s (%s) is reachable from outside the container without SASL: clients there need no credentials", where, name, proto)
			}
			for _, pub := range kafka.Ports {
				if pub.Target == mustAtoi(t, port) {
					t.Errorf("%s: the %s listener without SASL is published on the host", where, name)
				}
			}
		}
	}
	for _, pub := range kafka.Ports {
		published := false
		for _, l := range strings.Split(env["KAFKA_LISTENERS"], ",") {
			name, addr, _ := strings.Cut(l, "://")
			_, port, _ := strings.Cut(addr, ":")
			if mustAtoi(t, port) == pub.Target {
				published = sasl[name]
			}
		}
		if !published {
			t.Errorf("%s: port %d is published but is no SASL listener", where, pub.Target)
		}
	}
	// The addresses advertised on SASL listeners, for the clients.
	for _, l := range strings.Split(env["KAFKA_ADVERTISED_LISTENERS"], ",") {
		name, addr, _ := strings.Cut(l, "://")
		if sasl[name] {
			saslAddrs[addr] = true
		}
	}

	// Superusers: the admin, and ANONYMOUS only where it cannot come from
	// a client (every listener without SASL on loopback).
	supers := strings.Split(env["KAFKA_SUPER_USERS"], ";")
	if !slices.Contains(supers, topics.Admin().Kafka()) {
		t.Errorf("%s: KAFKA_SUPER_USERS=%q lacks %s, who applies the ACLs", where, env["KAFKA_SUPER_USERS"], topics.Admin().Kafka())
	}
	for _, su := range supers {
		switch {
		case su == topics.Admin().Kafka():
		case su == "User:ANONYMOUS" && loopbackOnly:
		default:
			t.Errorf("%s: superuser %s: only %s may bypass the ACLs (and User:ANONYMOUS when no listener without SASL is reachable from a client)", where, su, topics.Admin().Kafka())
		}
	}

	// Every principal has a SCRAM user: the start script formats the data
	// directory with a user per file of MALLBOTS_KAFKA_CREDENTIALS_DIR.
	credsDir := env["MALLBOTS_KAFKA_CREDENTIALS_DIR"]
	if credsDir == "" {
		t.Errorf("%s: no MALLBOTS_KAFKA_CREDENTIALS_DIR for deploy/kafka/start", where)
	}
	if got, want := mountedPrincipals(t, p, where, kafka, credsDir), principalNames(); !slices.Equal(got, sortedCopy(want)) {
		t.Errorf("%s: SCRAM users for %v, want every principal of the catalogue %v", where, got, sortedCopy(want))
	}
	startScript := ""
	for _, v := range kafka.Volumes {
		if strings.HasSuffix(v.Source, filepath.Join("deploy", "kafka", "start")) {
			startScript = v.Target
		}
	}
	if startScript == "" || !slices.Contains(kafka.Command, startScript) {
		t.Errorf("%s: the command %v does not run deploy/kafka/start (mounted at %q), which creates the SCRAM users", where, kafka.Command, startScript)
	}
	if h := kafka.HealthCheck; h == nil || strings.Contains(strings.Join(h.Test, " "), ":9092") {
		t.Errorf("%s: the healthcheck must probe a listener it can reach without credentials", where)
	}

}

// brokersOnly says whether host is an alias of the broker kafka on a
// network that is internal and that only the Kafka nodes join: a listener
// bound there is out of every client's reach.
func brokersOnly(p *types.Project, kafka types.ServiceConfig, host string) bool {
	for net, cfg := range kafka.Networks {
		if cfg == nil || !slices.Contains(cfg.Aliases, host) || !p.Networks[net].Internal {
			continue
		}
		only := true
		for name, s := range p.Services {
			if _, on := s.Networks[net]; on && !strings.HasPrefix(name, "kafka-") {
				only = false
			}
		}
		if only {
			return true
		}
	}
	return false
}

// mountedPrincipals are the principals whose password files a compose
// service mounts in dir, each a secret of the same name read from
// deploy/credentials/kafka.
func mountedPrincipals(t *testing.T, p *types.Project, where string, s types.ServiceConfig, dir string) []string {
	t.Helper()
	var out []string
	for _, sec := range s.Secrets {
		if path.Dir(sec.Target) != dir {
			continue
		}
		name := path.Base(sec.Target)
		if sec.Source != name {
			t.Errorf("%s: the secret %s is mounted as %s", where, sec.Source, sec.Target)
		}
		if _, ok := topics.PrincipalByName(name); !ok {
			t.Errorf("%s: %s in %s is no principal of the catalogue", where, name, dir)
		}
		if f := p.Secrets[sec.Source].File; !strings.HasSuffix(f, filepath.Join("deploy", "credentials", "kafka", name)) {
			t.Errorf("%s: the secret %s is read from %q, want deploy/credentials/kafka/%s (deploy/scripts/kafka-credentials)", where, sec.Source, f, name)
		}
		out = append(out, name)
	}
	slices.Sort(out)
	return out
}

func serviceEnv(s types.ServiceConfig) map[string]string {
	env := map[string]string{}
	for k, v := range s.Environment {
		if v != nil {
			env[k] = *v
		}
	}
	return env
}

func sortedCopy(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}

func mustAtoi(t *testing.T, s string) uint32 {
	t.Helper()
	var n uint32
	for _, c := range s {
		if c < '0' || c > '9' {
			t.Fatalf("not a port: %q", s)
		}
		n = n*10 + uint32(c-'0')
	}
	return n
}

// needBash finds bash for the scripts; CI must have it.
func needBash(t *testing.T) string {
	t.Helper()
	bash, err := exec.LookPath("bash")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("bash is required to run the deployment scripts")
		}
		t.Skip("no bash")
	}
	return bash
}

// TestComposeKafkaCredentialsAndSCRAMUsersCoverEveryPrincipal runs the two
// scripts compose relies on: deploy/scripts/kafka-credentials writes a
// password file for exactly the catalogue's principals (and keeps them on
// a second run), and deploy/kafka/start, with the kafka service's
// environment and stand-ins for the image's tools, formats a new data
// directory with a SCRAM-SHA-512 user per file, with the authorizer and the
// superusers in the configuration, and leaves a formatted one alone.
func TestComposeKafkaCredentialsAndSCRAMUsersCoverEveryPrincipal(t *testing.T) {
	bash := needBash(t)
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	gen := func() {
		cmd := exec.Command(bash, filepath.Join(root, "deploy", "scripts", "kafka-credentials"), out)
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("deploy/scripts/kafka-credentials: %v\n%s", err, b)
		}
	}
	gen()
	entries, err := os.ReadDir(filepath.Join(out, "kafka"))
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	passwords := map[string]string{}
	for _, e := range entries {
		files = append(files, e.Name())
		b, err := os.ReadFile(filepath.Join(out, "kafka", e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if len(b) < 40 || strings.ContainsAny(string(b), "\n\r=") {
			t.Errorf("%s: password %q: want 43 characters of unpadded base64 without a newline", e.Name(), b)
		}
		passwords[e.Name()] = string(b)
	}
	if want := sortedCopy(principalNames()); !slices.Equal(files, want) {
		t.Errorf("deploy/scripts/kafka-credentials wrote %v, want the catalogue's principals %v: update its list", files, want)
	}
	if st, err := os.Stat(out); err != nil || st.Mode().Perm() != 0o700 {
		t.Errorf("the credentials directory must be 0700 (it keeps every password from other users of the host): %v %v", st.Mode(), err)
	}
	gen()
	for name, pass := range passwords {
		if b, _ := os.ReadFile(filepath.Join(out, "kafka", name)); string(b) != pass {
			t.Errorf("a second run changed the password of %s: the broker's users would no longer match", name)
		}
	}
	for file, user := range map[string]string{"admin.properties": topics.Admin().Name, "external.properties": topics.External().Name} {
		b, err := os.ReadFile(filepath.Join(out, file))
		if err != nil || !strings.Contains(string(b), "sasl.username="+user+"\n") || !strings.Contains(string(b), "sasl.password="+passwords[user]+"\n") {
			t.Errorf("%s: not the client properties of %s (%v):\n%s", file, user, err, b)
		}
	}
	registry := topics.PrincipalName(topics.RoleRegistry)
	if b, err := os.ReadFile(filepath.Join(out, "schema-registry.jaas")); err != nil || !strings.Contains(string(b), `username="`+registry+`"`) || !strings.Contains(string(b), `password="`+passwords[registry]+`"`) {
		t.Errorf("schema-registry.jaas: not the login of %s (%v):\n%s", registry, err, b)
	}

	// deploy/kafka/start with the first Kafka node's environment.
	_, brokers := composeKafka(t)
	kafka := brokers[0]
	stub := t.TempDir()
	data := filepath.Join(stub, "data")
	for name, body := range map[string]string{
		"bin/kafka-storage.sh": "#!/usr/bin/env bash\nprintf '%s\\n' \"$@\" > \"$STUB/format.args\"\nwhile (($#)); do [[ $1 == --config ]] && cp \"$2\" \"$STUB/format.properties\"; shift; done\n",
		"run":                  "#!/usr/bin/env bash\necho started > \"$STUB/started\"\n",
	} {
		f := filepath.Join(stub, name)
		if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(f, []byte(body), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	start := func() {
		t.Helper()
		cmd := exec.Command(bash, filepath.Join(root, "deploy", "kafka", "start"))
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "STUB=" + stub, "MALLBOTS_KAFKA_BIN=" + filepath.Join(stub, "bin"), "MALLBOTS_KAFKA_RUN=" + filepath.Join(stub, "run")}
		for k, v := range serviceEnv(kafka) {
			switch k {
			case "KAFKA_LOG_DIRS":
				v = data
			case "MALLBOTS_KAFKA_CREDENTIALS_DIR":
				v = filepath.Join(out, "kafka")
			}
			cmd.Env = append(cmd.Env, k+"="+v)
		}
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("deploy/kafka/start: %v\n%s", err, b)
		}
		if _, err := os.Stat(filepath.Join(stub, "started")); err != nil {
			t.Fatal("deploy/kafka/start did not go on to the image's start")
		}
	}
	start()
	args, err := os.ReadFile(filepath.Join(stub, "format.args"))
	if err != nil {
		t.Fatalf("a new data directory was not formatted: %v", err)
	}
	for name, pass := range passwords {
		if want := "SCRAM-SHA-512=[name=" + name + ",password=" + pass + "]\n"; !strings.Contains(string(args), "--add-scram\n"+want) {
			t.Errorf("kafka-storage format did not add the SCRAM user %s", name)
		}
	}
	props, _ := os.ReadFile(filepath.Join(stub, "format.properties"))
	for _, want := range []string{
		"authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer\n",
		"super.users=" + serviceEnv(kafka)["KAFKA_SUPER_USERS"] + "\n",
		"listener.name.client.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;\n",
		"log.dirs=" + data + "\n",
	} {
		if !strings.Contains(string(props), want) {
			t.Errorf("the configuration kafka-storage formats with lacks %q:\n%s", want, props)
		}
	}
	if strings.Contains(string(props), "mallbots.kafka") || strings.Contains(string(props), "credentials") {
		t.Errorf("the configuration holds the script's own variables:\n%s", props)
	}

	// A formatted directory is left to the image.
	for _, f := range []string{"format.args", "started"} {
		os.Remove(filepath.Join(stub, f))
	}
	if err := os.MkdirAll(data, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(data, "meta.properties"), []byte("version=1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	start()
	if _, err := os.Stat(filepath.Join(stub, "format.args")); err == nil {
		t.Error("deploy/kafka/start formatted a data directory that was formatted already")
	}
}

// TestKubernetesWorkloadsMountOnlyTheirKafkaCredentials checks deploy/k8s:
// every container that reaches Kafka reads MALLBOTS_KAFKA_CREDENTIALS_DIR
// from a volume of the Secret mallbots-kafka-credentials holding exactly the
// keys of its principals (each component's; the setup Job's topics apply:
// the admin), none uses a single MALLBOTS_KAFKA_USERNAME, and one that does
// not reach Kafka mounts none of it.
func TestKubernetesWorkloadsMountOnlyTheirKafkaCredentials(t *testing.T) {
	m := loadManifests(t)
	pods := m.pods()
	applies := false
	for _, pd := range pods {
		for _, c := range append(slices.Clone(pd.spec.InitContainers), pd.spec.Containers...) {
			where := pd.where + " container " + c.Name
			if !strings.HasPrefix(c.Image, "mallbots:") {
				// Another image (the API's signing key copy) reaches no Kafka.
				for _, vm := range c.VolumeMounts {
					if i := slices.IndexFunc(pd.spec.Volumes, func(v corev1.Volume) bool { return v.Name == vm.Name }); i >= 0 && pd.spec.Volumes[i].Secret != nil && pd.spec.Volumes[i].Secret.SecretName == kafkaCredentialsSecret {
						t.Errorf("%s: runs %s, not MallBots, but mounts %s", where, c.Image, kafkaCredentialsSecret)
					}
				}
				continue
			}
			inv := containerInvocation(t, m, where, c, pd.spec.Volumes)
			got := checkInvocation(t, inv)
			want := kafkaPrincipals(t, where, got)
			for _, single := range []string{envKafkaUser, envKafkaUser + "_FILE", envKafkaPassword, envKafkaPassword + "_FILE"} {
				if _, ok := inv.env[single]; ok && len(want) > 0 {
					t.Errorf("%s: %s makes every component one identity: use MALLBOTS_KAFKA_CREDENTIALS_DIR", where, single)
				}
			}
			dir := inv.env["MALLBOTS_KAFKA_CREDENTIALS_DIR"]
			var keys []string
			mounted := false
			for _, vm := range c.VolumeMounts {
				for _, v := range pd.spec.Volumes {
					if v.Name != vm.Name || v.Secret == nil || v.Secret.SecretName != kafkaCredentialsSecret {
						continue
					}
					mounted = true
					if vm.MountPath != dir {
						t.Errorf("%s: the Secret %s is mounted at %s, not at MALLBOTS_KAFKA_CREDENTIALS_DIR %q", where, kafkaCredentialsSecret, vm.MountPath, dir)
					}
					if len(v.Secret.Items) == 0 {
						t.Errorf("%s: mounts every key of %s: list the items of its own principals", where, kafkaCredentialsSecret)
					}
					for _, it := range v.Secret.Items {
						if it.Path != it.Key {
							t.Errorf("%s: the key %s is mounted as %s: the file must be named after the user", where, it.Key, it.Path)
						}
						keys = append(keys, it.Key)
					}
				}
			}
			slices.Sort(keys)
			switch {
			case len(want) == 0 && mounted:
				t.Errorf("%s: does not reach Kafka but mounts %s", where, kafkaCredentialsSecret)
			case len(want) > 0 && dir == "":
				t.Errorf("%s: connects to Kafka as %v but has no MALLBOTS_KAFKA_CREDENTIALS_DIR", where, want)
			case len(want) > 0 && !slices.Equal(keys, want):
				t.Errorf("%s: mounts the Kafka passwords of %v, want exactly %v (its own principals)", where, keys, want)
			}
			if got.command == "topics apply" && slices.Contains(keys, topics.Admin().Name) {
				applies = true
			}
		}
	}
	if !applies {
		t.Errorf("no Job applies the ACLs (mallbots topics apply with the %s key of %s)", topics.Admin().Name, kafkaCredentialsSecret)
	}
}

// composeKafka is docker-compose.yml, as the tests' passwords fill it, and
// its Kafka nodes (the services kafka-1, kafka-2, …), in order.
func composeKafka(t *testing.T) (*types.Project, []types.ServiceConfig) {
	t.Helper()
	p, err := loadCompose(t, "MALLBOTS_CLICKHOUSE_WRITER_PASSWORD="+testWriterPassword, "MALLBOTS_CLICKHOUSE_ANALYST_PASSWORD="+testAnalystPassword)
	if err != nil {
		t.Fatal(err)
	}
	var brokers []types.ServiceConfig
	for _, name := range slices.Sorted(maps.Keys(p.Services)) {
		if strings.HasPrefix(name, "kafka-") {
			brokers = append(brokers, p.Services[name])
		}
	}
	if len(brokers) == 0 {
		t.Fatal("docker-compose.yml has no Kafka node (services kafka-1, kafka-2, …)")
	}
	return p, brokers
}
