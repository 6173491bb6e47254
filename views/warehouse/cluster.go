package warehouse

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// ReplicationPath is where the replicated tables of a cluster keep their
// replication log in ZooKeeper: {shard} and {replica} are each server's
// macros (docs/operations.md, ClickHouse on a cluster), the table's name is
// appended. Every replica of a shard must expand {shard} alike and
// {replica} differently.
const ReplicationPath = "/clickhouse/tables/{shard}/" + Database + "/"

// MigrateOption configures Migrate.
type MigrateOption func(*migrateConfig)

type migrateConfig struct {
	cluster string
}

// OnCluster makes Migrate target the ClickHouse cluster name (a
// <remote_servers> entry every server declares): every statement runs ON
// CLUSTER name, and every MergeTree-family table is its Replicated twin,
// its replication path ReplicationPath plus its name and its replica
// '{replica}', so the replicas of a shard hold the same rows. The cluster
// needs ZooKeeper, distributed DDL and the {shard} and {replica} macros.
// One shard is what the views expect: a shard holds every row, and the
// projector and the API may use any replica. Default: one server, plain
// tables.
func OnCluster(name string) MigrateOption { return func(c *migrateConfig) { c.cluster = name } }

// clusterName is what ON CLUSTER takes unquoted, on 18.16 as today.
var clusterName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// CheckClusterName reports a cluster name OnCluster would refuse, so that
// a flag is checked before anything connects.
func CheckClusterName(name string) error { return migrateConfig{cluster: name}.validate() }

func (c migrateConfig) validate() error {
	if c.cluster != "" && !clusterName.MatchString(c.cluster) {
		return fmt.Errorf("warehouse: OnCluster(%q): a cluster name is letters, digits and underscores, not starting with a digit (as <remote_servers> names it)", c.cluster)
	}
	return nil
}

// The statement forms the migrations use, which ForCluster rewrites.
var (
	createDatabase = regexp.MustCompile(`(?is)^(\s*CREATE\s+DATABASE\s+IF\s+NOT\s+EXISTS\s+\w+)\s*$`)
	createTable    = regexp.MustCompile(`(?is)^(\s*CREATE\s+TABLE\s+IF\s+NOT\s+EXISTS\s+(\w+)\.(\w+))(\s*\(.*\)\s*ENGINE\s*=\s*)((?:Replacing|Summing|Aggregating|Collapsing)?MergeTree)\s*\(([^)]*)\)(.*)$`)
	alterTable     = regexp.MustCompile(`(?is)^(\s*ALTER\s+TABLE\s+\w+\.\w+)(\s+ADD\s+COLUMN\s.*)$`)
)

// ForCluster rewrites one migration statement for the cluster name (see
// OnCluster): CREATE DATABASE and ALTER TABLE … ADD COLUMN gain ON
// CLUSTER, CREATE TABLE gains ON CLUSTER and the Replicated engine. A
// statement of another form is an error, so that a new kind of migration
// is taught here before it reaches a cluster. An empty name returns stmt
// unchanged.
func ForCluster(stmt, name string) (string, error) {
	if name == "" {
		return stmt, nil
	}
	if err := (migrateConfig{cluster: name}).validate(); err != nil {
		return "", err
	}
	on := " ON CLUSTER " + name
	if m := createDatabase.FindStringSubmatch(stmt); m != nil {
		return m[1] + on, nil
	}
	if m := createTable.FindStringSubmatch(stmt); m != nil {
		args := []string{quote(ReplicationPath + m[3]), quote("{replica}")}
		if a := strings.TrimSpace(m[6]); a != "" {
			args = append(args, a)
		}
		return m[1] + on + m[4] + "Replicated" + m[5] + "(" + strings.Join(args, ", ") + ")" + m[7], nil
	}
	if m := alterTable.FindStringSubmatch(stmt); m != nil {
		return m[1] + on + m[2], nil
	}
	return "", errors.New("warehouse: ForCluster knows CREATE DATABASE IF NOT EXISTS, CREATE TABLE IF NOT EXISTS … ENGINE = …MergeTree(…) and ALTER TABLE … ADD COLUMN; teach it this statement's form: " + firstLine(stmt))
}

func quote(s string) string { return "'" + s + "'" }

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i] + " …"
	}
	return s
}

// ClusterMigrations are the migrations, bootstrap first (as version
// "0000_bootstrap"), as Migrate runs them on the cluster name: the
// statements the SQL checks run on chDB and on 18.16.
func ClusterMigrations(name string) ([]Migration, error) {
	all, err := Migrations()
	if err != nil {
		return nil, err
	}
	all = append([]Migration{{Version: "0000_bootstrap", Statements: bootstrap}}, all...)
	out := make([]Migration, len(all))
	for i, m := range all {
		out[i] = Migration{Version: m.Version, Statements: make([]string, len(m.Statements))}
		for j, stmt := range m.Statements {
			if out[i].Statements[j], err = ForCluster(stmt, name); err != nil {
				return nil, fmt.Errorf("%s, statement %d: %w", m.Version, j+1, err)
			}
		}
	}
	return out, nil
}

// LocalForm is a clustered statement (ForCluster) as one server would run
// it outside the cluster: without ON CLUSTER name, and with the macros
// {shard} and {replica} written out as shard and replica. The SQL checks
// run it where there is no cluster and no ZooKeeper: a server refuses a
// replicated table there only once its statement, engine and arguments
// have passed every other check.
func LocalForm(stmt, name, shard, replica string) string {
	stmt = strings.Replace(stmt, " ON CLUSTER "+name, "", 1)
	return strings.NewReplacer("{shard}", shard, "{replica}", replica).Replace(stmt)
}
