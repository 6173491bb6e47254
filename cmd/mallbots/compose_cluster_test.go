package main

import (
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/types"
	"sigs.k8s.io/yaml"
)

// docker-compose.yml as a cluster: three KRaft nodes replicating every
// topic three times with min ISR 2, the roles creating topics with the
// same, and what watches them (Prometheus, Grafana, the OpenTelemetry
// collector, Jaeger). Parsed only: there is no Docker engine here.

func TestComposeRunsThreeKafkaNodesThatReplicateThreeTimesWithMinISRTwo(t *testing.T) {
	p, brokers := composeKafka(t)
	if len(brokers) != 3 {
		t.Fatalf("%d Kafka nodes, want 3", len(brokers))
	}
	var voters, ids []string
	clusterID := ""
	for i, b := range brokers {
		env := serviceEnv(b)
		where := "docker-compose.yml service " + b.Name
		for k, want := range map[string]string{
			"KAFKA_PROCESS_ROLES":                            "broker,controller",
			"KAFKA_DEFAULT_REPLICATION_FACTOR":               "3",
			"KAFKA_MIN_INSYNC_REPLICAS":                      "2",
			"KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR":         "3",
			"KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR": "3",
			"KAFKA_TRANSACTION_STATE_LOG_MIN_ISR":            "2",
			"KAFKA_UNCLEAN_LEADER_ELECTION_ENABLE":           "false",
			"KAFKA_AUTO_CREATE_TOPICS_ENABLE":                "false",
		} {
			if env[k] != want {
				t.Errorf("%s: %s=%q, want %q", where, k, env[k], want)
			}
		}
		ids = append(ids, env["KAFKA_NODE_ID"])
		if i == 0 {
			voters, clusterID = strings.Split(env["KAFKA_CONTROLLER_QUORUM_VOTERS"], ","), env["CLUSTER_ID"]
		} else if env["KAFKA_CONTROLLER_QUORUM_VOTERS"] != strings.Join(voters, ",") || env["CLUSTER_ID"] != clusterID {
			t.Errorf("%s: its quorum (%s) or cluster id (%s) differs from %s's", where, env["KAFKA_CONTROLLER_QUORUM_VOTERS"], env["CLUSTER_ID"], brokers[0].Name)
		}
		if !slices.ContainsFunc(voters, func(v string) bool { return strings.HasPrefix(v, env["KAFKA_NODE_ID"]+"@") }) {
			t.Errorf("%s: node %s is not a voter of the quorum %v", where, env["KAFKA_NODE_ID"], voters)
		}
		if len(b.Volumes) == 0 || slices.ContainsFunc(brokers[:i], func(o types.ServiceConfig) bool { return o.Volumes[0].Source == b.Volumes[0].Source }) {
			t.Errorf("%s: needs a data volume of its own", where)
		}
	}
	if slices.Sort(ids); !slices.Equal(ids, []string{"1", "2", "3"}) || len(voters) != 3 {
		t.Errorf("node ids %v and voters %v, want 1, 2, 3 and three voters", ids, voters)
	}

	// Every service that creates or checks topics asks for 3 and 2, and
	// bootstraps from every node.
	for name, s := range p.Services {
		if !strings.HasPrefix(s.Image, "mallbots:") {
			continue
		}
		env := serviceEnv(s)
		if env["MALLBOTS_BROKERS"] == "" {
			continue // migrate, the shoppers: no Kafka
		}
		where := "docker-compose.yml service " + name
		if env["MALLBOTS_REPLICATION_FACTOR"] != "3" || env["MALLBOTS_MIN_INSYNC_REPLICAS"] != "2" {
			t.Errorf("%s: MALLBOTS_REPLICATION_FACTOR=%q and MALLBOTS_MIN_INSYNC_REPLICAS=%q, want 3 and 2",
				where, env["MALLBOTS_REPLICATION_FACTOR"], env["MALLBOTS_MIN_INSYNC_REPLICAS"])
		}
		for _, b := range brokers {
			if !strings.Contains(","+env["MALLBOTS_BROKERS"]+",", ","+b.Name+":9092,") {
				t.Errorf("%s: MALLBOTS_BROKERS=%s lacks %s (one node down must not stop a start)", where, env["MALLBOTS_BROKERS"], b.Name)
			}
		}
	}
	setup, err := p.GetService("setup")
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range brokers {
		if d, ok := setup.DependsOn[b.Name]; !ok || d.Condition != types.ServiceConditionHealthy {
			t.Errorf("setup: does not wait for %s to be healthy before creating the topics with three replicas", b.Name)
		}
	}
}

// runRoles are the compose services that run `mallbots run`, with their
// environment.
func runRoles(t *testing.T, p *types.Project) map[string]map[string]string {
	t.Helper()
	roles := map[string]map[string]string{}
	for name, s := range p.Services {
		if strings.HasPrefix(s.Image, "mallbots:") && len(s.Command) > 0 && s.Command[0] == "run" {
			roles[name] = serviceEnv(s)
		}
	}
	if len(roles) == 0 {
		t.Fatal("no service runs mallbots run")
	}
	return roles
}

// mountOf is the host file or directory a service mounts at target.
func mountOf(s types.ServiceConfig, target string) string {
	for _, v := range s.Volumes {
		if v.Target == target {
			return v.Source
		}
	}
	return ""
}

func readYAML(t *testing.T, path string, into any) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(raw, into); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

func TestComposePrometheusScrapesEveryInstanceOfEveryRole(t *testing.T) {
	p, _ := composeKafka(t)
	prom, err := p.GetService("prometheus")
	if err != nil {
		t.Fatal(err)
	}
	cfgPath := mountOf(prom, "/etc/prometheus/prometheus.yml")
	if !strings.HasSuffix(cfgPath, filepath.Join("deploy", "prometheus", "prometheus.yml")) {
		t.Fatalf("prometheus: mounts %q at /etc/prometheus/prometheus.yml, want deploy/prometheus/prometheus.yml", cfgPath)
	}
	if !slices.Contains(prom.Command, "--config.file=/etc/prometheus/prometheus.yml") {
		t.Errorf("prometheus: the command %v does not read the mounted configuration", prom.Command)
	}
	var cfg struct {
		ScrapeConfigs []struct {
			JobName     string `json:"job_name"`
			MetricsPath string `json:"metrics_path"`
			DNSSD       []struct {
				Names []string `json:"names"`
				Type  string   `json:"type"`
				Port  int      `json:"port"`
			} `json:"dns_sd_configs"`
		} `json:"scrape_configs"`
	}
	readYAML(t, cfgPath, &cfg)
	scraped := map[string]int{} // service → port
	for _, sc := range cfg.ScrapeConfigs {
		if sc.MetricsPath != "/metrics" {
			t.Errorf("deploy/prometheus/prometheus.yml job %s: metrics_path %q, want /metrics", sc.JobName, sc.MetricsPath)
		}
		for _, d := range sc.DNSSD {
			if d.Type != "A" {
				t.Errorf("job %s: dns_sd type %q, want A (every replica of the service)", sc.JobName, d.Type)
			}
			for _, n := range d.Names {
				scraped[n] = d.Port
			}
		}
	}
	for name, env := range runRoles(t, p) {
		_, port, _ := strings.Cut(env["MALLBOTS_HTTP_ADDR"], ":")
		if got, ok := scraped[name]; !ok || port == "" || got != int(mustAtoi(t, port)) {
			t.Errorf("Prometheus does not scrape every instance of %s on its HTTP port %s (scrapes %v)", name, port, scraped)
		}
	}
}

func TestComposeGrafanaProvisionsPrometheusAndTheShippedDashboard(t *testing.T) {
	p, _ := composeKafka(t)
	g, err := p.GetService("grafana")
	if err != nil {
		t.Fatal(err)
	}
	prov := mountOf(g, "/etc/grafana/provisioning")
	if !strings.HasSuffix(prov, filepath.Join("deploy", "grafana", "provisioning")) {
		t.Fatalf("grafana: mounts %q at /etc/grafana/provisioning, want deploy/grafana/provisioning", prov)
	}
	var ds struct {
		Datasources []struct {
			Type      string `json:"type"`
			URL       string `json:"url"`
			IsDefault bool   `json:"isDefault"`
		} `json:"datasources"`
	}
	readYAML(t, filepath.Join(prov, "datasources", "prometheus.yaml"), &ds)
	if len(ds.Datasources) != 1 || ds.Datasources[0].Type != "prometheus" || !ds.Datasources[0].IsDefault {
		t.Fatalf("grafana data sources %+v, want the one default Prometheus", ds.Datasources)
	}
	u, err := url.Parse(ds.Datasources[0].URL)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.GetService(u.Hostname()); err != nil || u.Port() != "9090" {
		t.Errorf("grafana's Prometheus %s is not the compose service prometheus on 9090", ds.Datasources[0].URL)
	}
	var dash struct {
		Providers []struct {
			Type    string `json:"type"`
			Options struct {
				Path string `json:"path"`
			} `json:"options"`
		} `json:"providers"`
	}
	readYAML(t, filepath.Join(prov, "dashboards", "mallbots.yaml"), &dash)
	if len(dash.Providers) != 1 || dash.Providers[0].Type != "file" {
		t.Fatalf("grafana dashboard providers %+v, want one file provider", dash.Providers)
	}
	file := mountOf(g, dash.Providers[0].Options.Path+"/mallbots-dashboard.json")
	if !strings.HasSuffix(file, filepath.Join("deploy", "grafana", "mallbots-dashboard.json")) {
		t.Errorf("grafana: the provider reads %s, where the shipped dashboard is not mounted (got %q)", dash.Providers[0].Options.Path, file)
	}
	if env := serviceEnv(g); env["GF_SECURITY_ADMIN_PASSWORD"] != "" || !strings.HasPrefix(env["GF_SECURITY_ADMIN_PASSWORD__FILE"], "/run/secrets/") {
		t.Errorf("grafana: the admin password must come from a secret file (GF_SECURITY_ADMIN_PASSWORD__FILE), not a literal")
	}
}

func TestComposeTracesGoFromEveryRoleThroughTheCollectorToJaeger(t *testing.T) {
	p, _ := composeKafka(t)
	col, err := p.GetService("otel-collector")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.GetService("jaeger"); err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		Receivers struct {
			OTLP struct {
				Protocols struct {
					HTTP struct {
						Endpoint string `json:"endpoint"`
					} `json:"http"`
				} `json:"protocols"`
			} `json:"otlp"`
		} `json:"receivers"`
		Exporters map[string]struct {
			Endpoint string `json:"endpoint"`
		} `json:"exporters"`
		Service struct {
			Pipelines map[string]struct {
				Receivers []string `json:"receivers"`
				Exporters []string `json:"exporters"`
			} `json:"pipelines"`
		} `json:"service"`
	}
	path := mountOf(col, "/etc/otelcol/config.yaml")
	if !slices.Contains(col.Command, "--config=/etc/otelcol/config.yaml") || !strings.HasSuffix(path, filepath.Join("deploy", "otel", "collector.yaml")) {
		t.Fatalf("otel-collector: runs %v with %q mounted, want deploy/otel/collector.yaml as its --config", col.Command, path)
	}
	readYAML(t, path, &cfg)
	_, httpPort, _ := strings.Cut(cfg.Receivers.OTLP.Protocols.HTTP.Endpoint, ":")
	traces := cfg.Service.Pipelines["traces"]
	if !slices.Contains(traces.Receivers, "otlp") {
		t.Errorf("the collector's traces pipeline does not receive OTLP: %+v", traces)
	}
	toJaeger := false
	for _, e := range traces.Exporters {
		if host, _, _ := strings.Cut(cfg.Exporters[e].Endpoint, ":"); host == "jaeger" {
			toJaeger = true
		}
	}
	if !toJaeger {
		t.Errorf("the collector's traces pipeline exports to %v, none of them jaeger", traces.Exporters)
	}
	for name, env := range runRoles(t, p) {
		u, err := url.Parse(env["MALLBOTS_OTLP_ENDPOINT"])
		if err != nil || u.Hostname() != col.Name || u.Port() != httpPort || httpPort == "" {
			t.Errorf("docker-compose.yml service %s: MALLBOTS_OTLP_ENDPOINT=%q, want the collector's OTLP/HTTP receiver http://%s:%s", name, env["MALLBOTS_OTLP_ENDPOINT"], col.Name, httpPort)
		}
	}
}
