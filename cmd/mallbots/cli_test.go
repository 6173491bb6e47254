package main

import (
	"testing"

	"github.com/alecthomas/kong"
)

// parser is the real command line of the binary, for tests that check
// what deployments and docs say against it.
func parser(t *testing.T) (*kong.Kong, *cli) {
	t.Helper()
	var c cli
	k, err := kong.New(&c, kong.Name("mallbots"), kong.Exit(func(code int) { t.Fatalf("kong exited with %d", code) }))
	if err != nil {
		t.Fatal(err)
	}
	return k, &c
}

// cliFlags maps every command path ("run", "topics apply") to its flags
// (including the global ones) by name, and lists every MALLBOTS_*
// environment variable a flag reads.
func cliFlags(t *testing.T) (byCommand map[string]map[string]*kong.Flag, envs map[string]bool) {
	t.Helper()
	k, _ := parser(t)
	byCommand, envs = map[string]map[string]*kong.Flag{}, map[string]bool{}
	var walk func(n *kong.Node)
	walk = func(n *kong.Node) {
		if n.Type == kong.CommandNode {
			flags := map[string]*kong.Flag{}
			for _, group := range n.AllFlags(false) {
				for _, f := range group {
					flags[f.Name] = f
					for _, e := range f.Envs {
						envs[e] = true
					}
				}
			}
			byCommand[n.Path()] = flags
		}
		for _, c := range n.Children {
			walk(c)
		}
	}
	walk(k.Model.Node)
	return byCommand, envs
}

// secretEnvs are the environment variables the binary reads secrets from:
// each name and its _FILE twin.
func secretEnvs() map[string]bool {
	out := map[string]bool{}
	for _, n := range secretNames {
		out[n], out[n+"_FILE"] = true, true
	}
	return out
}
