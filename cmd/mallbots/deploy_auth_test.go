package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/types"
	corev1 "k8s.io/api/core/v1"

	"github.com/mallbots/mallbots/app/auth"
)

// The API's signing key in the deployments (docs/adr/0022, docs/operations.md,
// Who may call the API): every API instance must verify tokens with one
// shared key, or a token one instance issued is refused by the next; and the
// key must reach the image's user as a file only it may read, or
// app/auth.LoadKey refuses it.

const (
	// imageUID is the user the MallBots image runs as (deploy/Dockerfile:
	// distroless nonroot).
	imageUID = "65532"
	// signingKeySecret is the Kubernetes Secret, and signingKeyItem its key,
	// that holds the API's signing key.
	signingKeySecret = "mallbots-api-signing-key"
	signingKeyItem   = "signing-key.pem"
)

// runsAPI says whether a run's components include the API.
func runsAPI(got checked) bool {
	return got.command == "run" && (slices.Contains(got.components, "api") || slices.Contains(got.components, "all"))
}

// ownerOnlyMode says whether an octal mode argument ("0400") grants nothing
// to the group and others, as app/auth.LoadKey requires.
func ownerOnlyMode(s string) bool {
	m, err := strconv.ParseUint(s, 8, 32)
	return err == nil && m&0o077 == 0 && m&0o400 != 0
}

// argAfter is the argument after flag in args ("" when absent).
func argAfter(args []string, flag string) string {
	if i := slices.Index(args, flag); i >= 0 && i+1 < len(args) {
		return args[i+1]
	}
	return ""
}

// TestComposeAPIInstancesShareOneSigningKey checks docker-compose.yml: the
// key file deploy/scripts/api-signing-key writes is one compose secret,
// mounted only by a one-shot service that copies it into a volume owned by
// the image's user with an owner-only mode (a file secret keeps the host's
// owner and mode); every service that runs the API mounts that volume
// read-only, points MALLBOTS_AUTH_SIGNING_KEY at the copy and starts after
// it; the load service has a token (the same key, or MALLBOTS_API_TOKEN);
// and no other service sees the key.
func TestComposeAPIInstancesShareOneSigningKey(t *testing.T) {
	p, err := loadCompose(t, "MALLBOTS_CLICKHOUSE_WRITER_PASSWORD="+testWriterPassword, "MALLBOTS_CLICKHOUSE_ANALYST_PASSWORD="+testAnalystPassword)
	if err != nil {
		t.Fatal(err)
	}
	if df, err := os.ReadFile(filepath.Join("..", "..", "deploy", "Dockerfile")); err != nil || !bytes.Contains(df, []byte("--chown="+imageUID+":"+imageUID)) {
		t.Fatalf("deploy/Dockerfile no longer gives the data directory to user %s: update imageUID (%v)", imageUID, err)
	}

	// The one secret of the key file.
	var secret string
	for name, s := range p.Secrets {
		if strings.HasSuffix(s.File, filepath.Join("deploy", "credentials", "auth", "signing-key.pem")) {
			if secret != "" {
				t.Errorf("docker-compose.yml: the signing key is two secrets, %s and %s", secret, name)
			}
			secret = name
		}
	}
	if secret == "" {
		t.Fatal("docker-compose.yml: no secret reads deploy/credentials/auth/signing-key.pem (deploy/scripts/api-signing-key)")
	}

	// The service that copies it into a volume, and the copy's path.
	var copier, volume, keyPath string
	for name, s := range p.Services {
		i := slices.IndexFunc(s.Secrets, func(sec types.ServiceSecretConfig) bool { return sec.Source == secret })
		if i < 0 {
			continue
		}
		where := "docker-compose.yml service " + name
		if copier != "" {
			t.Errorf("%s: mounts the signing key's secret, as %s does: only the one-shot copy may", where, copier)
			continue
		}
		copier = name
		from := s.Secrets[i].Target
		if from == "" {
			from = "/run/secrets/" + secret
		}
		args := append(slices.Clone(s.Entrypoint), s.Command...)
		if s.Restart != "no" || strings.HasPrefix(s.Image, "mallbots:") {
			t.Errorf("%s: the signing key's copy is a one-shot service of a shell image (restart: \"no\"), have image %s restart %q", where, s.Image, s.Restart)
		}
		if !slices.Contains(args, from) {
			t.Errorf("%s: the command %v does not read the secret at %s", where, args, from)
		}
		if o, g, m := argAfter(args, "-o"), argAfter(args, "-g"), argAfter(args, "-m"); o != imageUID || g != imageUID || !ownerOnlyMode(m) {
			t.Errorf("%s: the copy must belong to the image's user %s (-o %s -g %s) with an owner-only mode (-m 0400), have -o %q -g %q -m %q: app/auth refuses a key others may read", where, imageUID, imageUID, imageUID, o, g, m)
		}
		for _, v := range s.Volumes {
			if v.Type == types.VolumeTypeVolume && !v.ReadOnly && slices.ContainsFunc(args, func(a string) bool { return a != from && path.Dir(a) == v.Target }) {
				volume = v.Source
				keyPath = args[slices.IndexFunc(args, func(a string) bool { return a != from && path.Dir(a) == v.Target })]
			}
		}
		if volume == "" {
			t.Errorf("%s: the command %v writes the key into no named volume it mounts", where, args)
		}
	}
	if copier == "" {
		t.Fatalf("docker-compose.yml: no service mounts the secret %s", secret)
	}

	// keyMount is where a service has the volume mounted read-only.
	keyMount := func(s types.ServiceConfig) (string, bool) {
		for _, v := range s.Volumes {
			if v.Type == types.VolumeTypeVolume && v.Source == volume {
				return v.Target, v.ReadOnly
			}
		}
		return "", false
	}
	apis, load := 0, false
	for name, s := range p.Services {
		if name == copier {
			continue
		}
		where := "docker-compose.yml service " + name
		mnt, ro := keyMount(s)
		if !strings.HasPrefix(s.Image, "mallbots:") {
			if mnt != "" {
				t.Errorf("%s: mounts the API's signing key", where)
			}
			continue
		}
		args := []string(s.Command)
		if len(s.Entrypoint) > 0 {
			args = append(slices.Clone(s.Entrypoint[1:]), s.Command...)
		}
		env := serviceEnv(s)
		got := checkInvocation(t, invocation{where: where, args: args, env: env})
		sharesKey := func() {
			t.Helper()
			file := env["MALLBOTS_AUTH_SIGNING_KEY"]
			switch {
			case mnt == "" || !ro:
				t.Errorf("%s: does not mount the volume %s read-only (the shared signing key)", where, volume)
			case file != path.Join(mnt, path.Base(keyPath)):
				t.Errorf("%s: MALLBOTS_AUTH_SIGNING_KEY=%q, want the shared key %s: an instance with a key of its own refuses the others' tokens", where, file, path.Join(mnt, path.Base(keyPath)))
			}
			if d, ok := s.DependsOn[copier]; !ok || d.Condition != types.ServiceConditionCompletedSuccessfully {
				t.Errorf("%s: must start after %s has copied the key (depends_on condition %s)", where, copier, types.ServiceConditionCompletedSuccessfully)
			}
		}
		switch {
		case runsAPI(got):
			apis++
			sharesKey()
			if env["MALLBOTS_AUTH_ISSUER"] != "" || env["MALLBOTS_AUTH_JWKS_URL"] != "" {
				t.Errorf("%s: an external issuer and the shared key: choose one", where)
			}
		case got.command == "load":
			load = true
			if _, ok := env[envAPIToken]; ok {
				t.Errorf("%s: %s is a literal token in the compose file: use %s_FILE with a secret", where, envAPIToken, envAPIToken)
			} else if _, ok := env[envAPIToken+"_FILE"]; !ok {
				sharesKey() // it signs its own operator token with the key
			}
		case mnt != "" || env["MALLBOTS_AUTH_SIGNING_KEY"] != "":
			t.Errorf("%s: runs no API but has the API's signing key", where)
		}
	}
	if apis == 0 {
		t.Error("docker-compose.yml: no service runs the API")
	}
	if !load {
		t.Error("docker-compose.yml: no service runs mallbots load")
	}
}

// TestKubernetesAPIPodsShareOneSigningKey checks deploy/k8s: every pod that
// runs the API copies the key signing-key.pem of the one Secret
// mallbots-api-signing-key, in an init container running as the pod's user,
// into a memory volume with an owner-only mode (a Secret volume's files
// belong to root), and points MALLBOTS_AUTH_SIGNING_KEY at the copy, which
// its container mounts read-only; no other pod mounts the Secret.
func TestKubernetesAPIPodsShareOneSigningKey(t *testing.T) {
	m := loadManifests(t)
	pods := m.pods()
	apis := 0
	for _, pd := range pods {
		volumes := map[string]corev1.Volume{}
		secretMounted := false
		for _, v := range pd.spec.Volumes {
			volumes[v.Name] = v
			if v.Secret != nil && v.Secret.SecretName == signingKeySecret {
				secretMounted = true
			}
		}
		api := false
		for _, c := range pd.spec.Containers {
			inv := containerInvocation(t, m, pd.where+" container "+c.Name, c, pd.spec.Volumes)
			if runsAPI(checkInvocation(t, inv)) {
				api = true
				apis++
				checkSigningKeyCopy(t, pd.where, pd.spec, volumes, c, inv)
			}
		}
		if !api && secretMounted {
			t.Errorf("%s: runs no API but mounts the Secret %s", pd.where, signingKeySecret)
		}
	}
	if apis == 0 {
		t.Error("deploy/k8s: no workload runs the API")
	}
}

// checkSigningKeyCopy checks that c, an API container, reads the shared key
// as an init container of its pod copied it.
func checkSigningKeyCopy(t *testing.T, where string, spec corev1.PodSpec, volumes map[string]corev1.Volume, c corev1.Container, inv invocation) {
	t.Helper()
	file := inv.env["MALLBOTS_AUTH_SIGNING_KEY"]
	if file == "" || !path.IsAbs(file) {
		t.Errorf("%s: MALLBOTS_AUTH_SIGNING_KEY=%q: each replica would create a key of its own and refuse the others' tokens", where, file)
		return
	}
	copyVolume := ""
	for _, vm := range c.VolumeMounts {
		if vm.MountPath == path.Dir(file) {
			copyVolume = vm.Name
			if !vm.ReadOnly {
				t.Errorf("%s: mounts the key's volume %s writable: with no key it would create one of its own", where, vm.Name)
			}
		}
	}
	if v, ok := volumes[copyVolume]; !ok || v.EmptyDir == nil || v.EmptyDir.Medium != corev1.StorageMediumMemory {
		t.Errorf("%s: MALLBOTS_AUTH_SIGNING_KEY=%s is not on a memory emptyDir it mounts (the init container's copy)", where, file)
		return
	}
	copied := false
	for _, ic := range spec.InitContainers {
		var from, into string
		for _, vm := range ic.VolumeMounts {
			v := volumes[vm.Name]
			switch {
			case v.Secret != nil && v.Secret.SecretName == signingKeySecret:
				if i := slices.IndexFunc(v.Secret.Items, func(it corev1.KeyToPath) bool { return it.Key == signingKeyItem }); i >= 0 {
					from = path.Join(vm.MountPath, v.Secret.Items[i].Path)
				} else if len(v.Secret.Items) == 0 {
					from = path.Join(vm.MountPath, signingKeyItem)
				}
			case vm.Name == copyVolume && !vm.ReadOnly:
				into = path.Join(vm.MountPath, path.Base(file))
			}
		}
		if from == "" || into == "" {
			continue
		}
		copied = true
		iw := where + " init container " + ic.Name
		script := strings.Join(append(slices.Clone(ic.Command), ic.Args...), " ")
		fields := strings.Fields(script)
		if !strings.Contains(script, from) || !strings.Contains(script, into) {
			t.Errorf("%s: %q does not copy %s to %s", iw, script, from, into)
		}
		if !ownerOnlyMode(argAfter(fields, "-m")) {
			t.Errorf("%s: %q must give the copy an owner-only mode (-m 0400): app/auth refuses a key others may read", iw, script)
		}
		if ic.Image == "" || strings.HasSuffix(ic.Image, ":latest") || !strings.Contains(ic.Image, ":") {
			t.Errorf("%s: image %q is not pinned", iw, ic.Image)
		}
		if sc := ic.SecurityContext; sc == nil || sc.RunAsUser != nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
			t.Errorf("%s: runs as the pod's user (the copy's owner, the API's user) with a read-only root", iw)
		}
		if spec.SecurityContext == nil || spec.SecurityContext.FSGroup == nil {
			t.Errorf("%s: without fsGroup the pod's user cannot read the Secret's file (root's)", iw)
		}
	}
	if !copied {
		t.Errorf("%s: no init container copies the key %s of the Secret %s into the volume %s", where, signingKeyItem, signingKeySecret, copyVolume)
	}
}

// TestDeployAPISigningKeyScriptWritesAKeyTheAPIAccepts runs
// deploy/scripts/kafka-credentials, which runs api-signing-key, with the
// real openssl: the key it writes is one app/auth.LoadKey accepts, two API
// instances loading it accept each other's tokens, a second run keeps it,
// and a file that is no Ed25519 key is refused.
func TestDeployAPISigningKeyScriptWritesAKeyTheAPIAccepts(t *testing.T) {
	bash := needBash(t)
	if _, err := exec.LookPath("openssl"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("openssl is required to generate the API's signing key")
		}
		t.Skip("no openssl")
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	run := func(script string) ([]byte, error) {
		return exec.Command(bash, filepath.Join(root, "deploy", "scripts", script), out).CombinedOutput()
	}
	if b, err := run("kafka-credentials"); err != nil {
		t.Fatalf("deploy/scripts/kafka-credentials: %v\n%s", err, b)
	}
	file := filepath.Join(out, "auth", "signing-key.pem")
	st, err := os.Stat(file)
	if err != nil {
		t.Fatalf("deploy/scripts/kafka-credentials wrote no signing key: %v", err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("%s: mode %v, want 0600", file, st.Mode().Perm())
	}
	key, err := auth.LoadKey(file)
	if err != nil {
		t.Fatalf("app/auth refuses the script's key: %v", err)
	}
	again, err := auth.LoadKey(file)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := auth.NewIssuer(key).Issue(auth.Principal{Role: auth.Operator}, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := auth.NewIssuer(again).Verify(context.Background(), tok); err != nil {
		t.Errorf("an instance loading the same key refuses the other's token: %v", err)
	}
	before, _ := os.ReadFile(file)
	if b, err := run("api-signing-key"); err != nil {
		t.Fatalf("deploy/scripts/api-signing-key, second run: %v\n%s", err, b)
	}
	if after, _ := os.ReadFile(file); !bytes.Equal(before, after) {
		t.Error("a second run replaced the signing key: every token issued would be refused")
	}
	if err := os.WriteFile(file, []byte("not a key\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if b, err := run("api-signing-key"); err == nil {
		t.Errorf("deploy/scripts/api-signing-key kept a file that is no Ed25519 key:\n%s", b)
	}
}
