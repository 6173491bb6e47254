package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSecretsComeFromTheEnvironmentOrAFile(t *testing.T) {
	t.Setenv("MALLBOTS_KAFKA_PASSWORD", "from-env")
	if v, err := secret("MALLBOTS_KAFKA_PASSWORD"); err != nil || v != "from-env" {
		t.Fatalf("env: %q, %v", v, err)
	}
	file := filepath.Join(t.TempDir(), "password")
	if err := os.WriteFile(file, []byte("from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("MALLBOTS_KAFKA_PASSWORD_FILE", file)
	if _, err := secret("MALLBOTS_KAFKA_PASSWORD"); err == nil || !strings.Contains(err.Error(), "both") {
		t.Fatalf("both set: %v, want an error", err)
	}
	t.Setenv("MALLBOTS_KAFKA_PASSWORD", "")
	if v, err := secret("MALLBOTS_KAFKA_PASSWORD"); err != nil || v != "from-file" {
		t.Fatalf("file: %q, %v (the trailing newline is not part of it)", v, err)
	}
	t.Setenv("MALLBOTS_KAFKA_USERNAME", "mallbots")
	t.Setenv("MALLBOTS_KAFKA_PASSWORD_FILE", filepath.Join(t.TempDir(), "missing"))
	if _, err := (kafkaSecurity{KafkaSASLMechanism: "SCRAM-SHA-512"}).config(); err == nil {
		t.Fatal("a missing secret file was not reported")
	}
}

func TestNoFlagTakesASecret(t *testing.T) {
	flags, envs := cliFlags(t)
	for cmd, fs := range flags {
		for name := range fs {
			if strings.Contains(name, "password") || strings.Contains(name, "username") || strings.Contains(name, "secret") {
				t.Errorf("mallbots %s --%s takes a secret on the command line", cmd, name)
			}
		}
	}
	for name := range secretEnvs() {
		if envs[name] {
			t.Errorf("%s is a flag's environment twin: a secret must not be a flag", name)
		}
	}
}
