package main

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

// manifests are deploy/k8s decoded strictly (an unknown field, e.g. a
// misspelt one, is an error) into the API's own types.
type manifests struct {
	files        []string
	kustomized   []string
	configMaps   map[string]corev1.ConfigMap
	statefulSets map[string]appsv1.StatefulSet
	deployments  map[string]appsv1.Deployment
	jobs         map[string]batchv1.Job
	services     map[string]corev1.Service
	pdbs         []policyv1.PodDisruptionBudget
	hpas         []autoscalingv2.HorizontalPodAutoscaler
	scaled       []scaledObject
	triggerAuths map[string]triggerAuthentication
	kustomize    kustomization
}

// kustomization is deploy/k8s/kustomization.yaml, the fields it may use.
type kustomization struct {
	APIVersion string   `json:"apiVersion"`
	Kind       string   `json:"kind"`
	Namespace  string   `json:"namespace"`
	Resources  []string `json:"resources"`
	Images     []struct {
		Name    string `json:"name"`
		NewName string `json:"newName"`
		NewTag  string `json:"newTag"`
	} `json:"images"`
	Replacements []struct {
		Source struct {
			Kind      string `json:"kind"`
			Name      string `json:"name"`
			FieldPath string `json:"fieldPath"`
			Options   struct {
				Delimiter string `json:"delimiter"`
				Index     int    `json:"index"`
			} `json:"options"`
		} `json:"source"`
		Targets []struct {
			Select struct {
				Kind string `json:"kind"`
				Name string `json:"name"`
			} `json:"select"`
			FieldPaths []string `json:"fieldPaths"`
			Options    struct {
				Delimiter string `json:"delimiter"`
				Index     int    `json:"index"`
			} `json:"options"`
		} `json:"targets"`
	} `json:"replacements"`
}

// scaledObject is a KEDA ScaledObject (keda.sh/v1alpha1), the fields
// deploy/k8s uses: there are no KEDA Go types here, so the strict decoding
// holds the manifests to this subset.
type scaledObject struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              struct {
		ScaleTargetRef struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
			Name       string `json:"name"`
		} `json:"scaleTargetRef"`
		MinReplicaCount *int32 `json:"minReplicaCount"`
		MaxReplicaCount *int32 `json:"maxReplicaCount"`
		PollingInterval int    `json:"pollingInterval"`
		Advanced        struct {
			HorizontalPodAutoscalerConfig struct {
				Behavior autoscalingv2.HorizontalPodAutoscalerBehavior `json:"behavior"`
			} `json:"horizontalPodAutoscalerConfig"`
		} `json:"advanced"`
		Triggers []struct {
			Type              string            `json:"type"`
			Metadata          map[string]string `json:"metadata"`
			AuthenticationRef struct {
				Name string `json:"name"`
			} `json:"authenticationRef"`
		} `json:"triggers"`
	} `json:"spec"`
}

// triggerAuthentication is a KEDA TriggerAuthentication, its secret refs.
type triggerAuthentication struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              struct {
		SecretTargetRef []struct {
			Parameter string `json:"parameter"`
			Name      string `json:"name"`
			Key       string `json:"key"`
		} `json:"secretTargetRef"`
	} `json:"spec"`
}

// podOf is a workload's pod template, named by its kind and name.
type podOf struct {
	where string
	spec  corev1.PodSpec
}

// pods are the pod templates of every StatefulSet, Deployment and Job.
func (m manifests) pods() []podOf {
	var pods []podOf
	for _, s := range m.statefulSets {
		pods = append(pods, podOf{"StatefulSet " + s.Name, s.Spec.Template.Spec})
	}
	for _, d := range m.deployments {
		pods = append(pods, podOf{"Deployment " + d.Name, d.Spec.Template.Spec})
	}
	for _, j := range m.jobs {
		pods = append(pods, podOf{"Job " + j.Name, j.Spec.Template.Spec})
	}
	return pods
}

func loadManifests(t *testing.T) manifests {
	t.Helper()
	dir := filepath.Join("..", "..", "deploy", "k8s")
	m := manifests{configMaps: map[string]corev1.ConfigMap{}, statefulSets: map[string]appsv1.StatefulSet{},
		deployments: map[string]appsv1.Deployment{}, jobs: map[string]batchv1.Job{}, services: map[string]corev1.Service{},
		triggerAuths: map[string]triggerAuthentication{}}
	paths, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no manifests in %s: %v", dir, err)
	}
	for _, path := range paths {
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Base(path)
		if name == "kustomization.yaml" {
			if err := yaml.UnmarshalStrict(raw, &m.kustomize); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			m.kustomized = m.kustomize.Resources
			continue
		}
		m.files = append(m.files, name)
		for i, doc := range bytes.Split(raw, []byte("\n---")) {
			var tm metav1.TypeMeta
			if err := yaml.Unmarshal(doc, &tm); err != nil {
				t.Fatalf("%s document %d: %v", name, i+1, err)
			}
			strict := func(into any) {
				if err := yaml.UnmarshalStrict(doc, into); err != nil {
					t.Fatalf("%s document %d (%s): %v", name, i+1, tm.Kind, err)
				}
			}
			// Each kind deploy/k8s may hold, and where it goes.
			decode, ok := map[string]func(){
				"Namespace":               func() { strict(&corev1.Namespace{}) },
				"ConfigMap":               func() { byName(strict, m.configMaps) },
				"StatefulSet":             func() { byName(strict, m.statefulSets) },
				"Deployment":              func() { byName(strict, m.deployments) },
				"Job":                     func() { byName(strict, m.jobs) },
				"Service":                 func() { byName(strict, m.services) },
				"PodDisruptionBudget":     func() { m.pdbs = append(m.pdbs, decoded[policyv1.PodDisruptionBudget](strict)) },
				"HorizontalPodAutoscaler": func() { m.hpas = append(m.hpas, decoded[autoscalingv2.HorizontalPodAutoscaler](strict)) },
				"ScaledObject":            func() { m.scaled = append(m.scaled, decoded[scaledObject](strict)) },
				"TriggerAuthentication": func() {
					a := decoded[triggerAuthentication](strict)
					m.triggerAuths[a.Name] = a
				},
			}[tm.Kind]
			if !ok {
				t.Fatalf("%s document %d: unexpected kind %q", name, i+1, tm.Kind)
			}
			decode()
		}
	}
	return m
}

// decoded is a document decoded by strict into a T.
func decoded[T any](strict func(into any)) T {
	var v T
	strict(&v)
	return v
}

// byName decodes a document into a T and files it under its metadata name.
func byName[T any, P interface {
	*T
	GetName() string
}](strict func(into any), into map[string]T) {
	v := decoded[T](strict)
	into[P(&v).GetName()] = v
}

// TestKubernetesManifestsAreConsistentWithTheBinary checks deploy/k8s: the
// same rules as for docker-compose.yml (every container a valid mallbots
// invocation with its real environment, secrets from the Secret only, every
// component deployed), plus the Kubernetes shape: processors as
// StatefulSets with volumes for their state, the API and projections as
// Deployments, probes on /healthz and /readyz, resources, disruption
// budgets, and an autoscaler capped at the partition count.
func TestKubernetesManifestsAreConsistentWithTheBinary(t *testing.T) {
	m := loadManifests(t)
	for _, f := range m.files {
		if !slices.Contains(m.kustomized, f) {
			t.Errorf("kustomization.yaml does not list %s", f)
		}
	}
	type workload struct {
		kind, name string
		labels     map[string]string
		pod        corev1.PodTemplateSpec
		claims     []corev1.PersistentVolumeClaim
		replicas   int32
	}
	var workloads []workload
	for _, s := range m.statefulSets {
		replicas := ptrOr(s.Spec.Replicas)
		if so, ok := m.scaledObjectOf("StatefulSet", s.Name); ok {
			replicas = ptrOr(so.Spec.MinReplicaCount)
		}
		workloads = append(workloads, workload{"StatefulSet", s.Name, s.Spec.Selector.MatchLabels, s.Spec.Template, s.Spec.VolumeClaimTemplates, replicas})
		if _, ok := m.services[s.Spec.ServiceName]; !ok {
			t.Errorf("StatefulSet %s: no Service %s", s.Name, s.Spec.ServiceName)
		}
	}
	for _, d := range m.deployments {
		workloads = append(workloads, workload{"Deployment", d.Name, d.Spec.Selector.MatchLabels, d.Spec.Template, nil, ptrOr(d.Spec.Replicas)})
	}
	var runs [][]string
	roles := map[string]string{} // component → kind
	for _, w := range workloads {
		where := w.kind + " " + w.name
		for k, v := range w.labels {
			if w.pod.Labels[k] != v {
				t.Errorf("%s: the selector %s=%s does not match the pod template", where, k, v)
			}
		}
		if len(w.pod.Spec.Containers) != 1 {
			t.Fatalf("%s: %d containers, want 1", where, len(w.pod.Spec.Containers))
		}
		c := w.pod.Spec.Containers[0]
		inv := containerInvocation(t, m, where, c, w.pod.Spec.Volumes)
		got := checkInvocation(t, inv)
		if got.command != "run" {
			t.Errorf("%s: runs mallbots %s, want run", where, got.command)
			continue
		}
		runs = append(runs, got.components)
		for _, comp := range got.components {
			roles[comp] = w.kind
		}
		if c.LivenessProbe == nil || c.LivenessProbe.HTTPGet == nil || c.LivenessProbe.HTTPGet.Path != "/healthz" {
			t.Errorf("%s: the liveness probe must GET /healthz", where)
		}
		if c.ReadinessProbe == nil || c.ReadinessProbe.HTTPGet == nil || c.ReadinessProbe.HTTPGet.Path != "/readyz" {
			t.Errorf("%s: the readiness probe must GET /readyz", where)
		}
		if c.StartupProbe == nil || c.StartupProbe.HTTPGet == nil || c.StartupProbe.HTTPGet.Path != "/healthz" {
			t.Errorf("%s: a startup probe on /healthz must hold liveness back while the tables recover", where)
		}
		for _, p := range []*corev1.Probe{c.LivenessProbe, c.ReadinessProbe, c.StartupProbe} {
			if p != nil && p.HTTPGet != nil && p.HTTPGet.Port.String() != "http" {
				t.Errorf("%s: a probe asks port %s, not the named port http", where, p.HTTPGet.Port.String())
			}
		}
		if len(c.Ports) != 1 || c.Ports[0].Name != "http" || c.Ports[0].ContainerPort != 8080 {
			t.Errorf("%s: want one port named http on 8080 (MALLBOTS_HTTP_ADDR), have %v", where, c.Ports)
		}
		if c.Resources.Requests.Cpu().IsZero() || c.Resources.Requests.Memory().IsZero() || c.Resources.Limits.Memory().IsZero() {
			t.Errorf("%s: requests (cpu, memory) and a memory limit are required", where)
		}
		// The Go runtime's soft limit must sit under the container's hard
		// one, or the collector lets the heap grow into the OOM killer.
		if soft, err := parseMemoryLimit(inv.env["MALLBOTS_MEMORY_LIMIT"]); err != nil || soft == 0 || soft >= c.Resources.Limits.Memory().Value() {
			t.Errorf("%s: MALLBOTS_MEMORY_LIMIT=%q must be a size under the memory limit %s (err %v)", where, inv.env["MALLBOTS_MEMORY_LIMIT"], c.Resources.Limits.Memory(), err)
		}
		sc := w.pod.Spec.SecurityContext
		if sc == nil || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot {
			t.Errorf("%s: pods run as non-root", where)
		}
		data := false
		for _, vm := range c.VolumeMounts {
			if vm.MountPath == "/var/lib/mallbots" {
				data = true
				if w.kind == "StatefulSet" && !slices.ContainsFunc(w.claims, func(p corev1.PersistentVolumeClaim) bool { return p.Name == vm.Name }) {
					t.Errorf("%s: the data directory is not on a volume claim template", where)
				}
			}
		}
		if !data {
			t.Errorf("%s: nothing mounted at the data directory /var/lib/mallbots (read-only root)", where)
		}
		if !slices.ContainsFunc(m.pdbs, func(p policyv1.PodDisruptionBudget) bool { return matches(p.Spec.Selector, w.pod.Labels) }) && w.replicas > 1 {
			t.Errorf("%s: %d replicas without a PodDisruptionBudget", where, w.replicas)
		}
	}
	for comp, kind := range roles {
		switch {
		case isProcessorGroup(comp) && kind != "StatefulSet":
			t.Errorf("the processor group %s runs in a %s, want a StatefulSet (volumes for its state)", comp, kind)
		case (comp == "api" || strings.HasPrefix(comp, "projection.")) && kind != "Deployment":
			t.Errorf("%s runs in a %s, want a Deployment", comp, kind)
		}
	}
	coversEveryComponent(t, "deploy/k8s", runs)
	for _, s := range m.statefulSets {
		so, scaled := m.scaledObjectOf("StatefulSet", s.Name)
		if isProcessorGroup(firstComponent(s.Spec.Template)) && !scaled {
			t.Errorf("StatefulSet %s: the processors scale on their lag (a ScaledObject)", s.Name)
		}
		if scaled && ptrOr(so.Spec.MinReplicaCount) < 2 {
			t.Errorf("StatefulSet %s: its ScaledObject lets it run fewer than 2 replicas", s.Name)
		}
	}

	// The one-shot job creates the topics and applies the migrations.
	var jobCommands []string
	for _, j := range m.jobs {
		spec := j.Spec.Template.Spec
		for _, c := range append(append([]corev1.Container(nil), spec.InitContainers...), spec.Containers...) {
			got := checkInvocation(t, containerInvocation(t, m, "Job "+j.Name+" container "+c.Name, c, spec.Volumes))
			jobCommands = append(jobCommands, got.command)
		}
	}
	for _, want := range []string{"topics apply", "migrate"} {
		if !slices.Contains(jobCommands, want) {
			t.Errorf("no Job runs mallbots %s", want)
		}
	}

}

// containerInvocation is a container's command line and environment, the
// ConfigMaps it reads resolved; secret files must be on a mounted Secret.
func containerInvocation(t *testing.T, m manifests, where string, c corev1.Container, volumes []corev1.Volume) invocation {
	t.Helper()
	if len(c.Command) > 0 {
		t.Errorf("%s: the image's entrypoint is the binary; give the subcommand as args", where)
	}
	inv := invocation{where: where, args: c.Args, env: map[string]string{}}
	for _, from := range c.EnvFrom {
		if from.ConfigMapRef == nil {
			t.Errorf("%s: envFrom other than a ConfigMap", where)
			continue
		}
		cm, ok := m.configMaps[from.ConfigMapRef.Name]
		if !ok {
			t.Errorf("%s: no ConfigMap %s", where, from.ConfigMapRef.Name)
		}
		for k, v := range cm.Data {
			inv.env[k] = v
		}
	}
	for _, e := range c.Env {
		switch {
		case e.ValueFrom == nil:
			inv.env[e.Name] = e.Value
		case e.ValueFrom.SecretKeyRef != nil:
			inv.secretRefs = append(inv.secretRefs, e.Name)
		case e.ValueFrom.FieldRef != nil:
			inv.env[e.Name] = "pod-0"
		}
	}
	mounts := map[string]string{} // path → secret
	for _, vm := range c.VolumeMounts {
		for _, v := range volumes {
			if v.Name == vm.Name && v.Secret != nil {
				mounts[vm.MountPath] = v.Secret.SecretName
			}
		}
	}
	for name, value := range inv.env {
		if !strings.HasSuffix(name, "_FILE") {
			continue
		}
		if mounts[filepath.Dir(value)] == "" {
			t.Errorf("%s: %s=%s is not in a mounted Secret", where, name, value)
		}
	}
	return inv
}

// firstComponent is the first component a pod runs.
func firstComponent(pod corev1.PodTemplateSpec) string {
	for i, a := range pod.Spec.Containers[0].Args {
		if a == "--components" && i+1 < len(pod.Spec.Containers[0].Args) {
			return strings.Split(pod.Spec.Containers[0].Args[i+1], ",")[0]
		}
	}
	return ""
}

func matches(sel *metav1.LabelSelector, labels map[string]string) bool {
	if sel == nil || len(sel.MatchLabels) == 0 {
		return false
	}
	for k, v := range sel.MatchLabels {
		if labels[k] != v {
			return false
		}
	}
	return true
}

func ptrOr(p *int32) int32 {
	if p == nil {
		return 1
	}
	return *p
}
