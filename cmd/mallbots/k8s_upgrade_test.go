package main

import (
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"

	"github.com/mallbots/mallbots/topics"
)

// deploy/k8s as an operator upgrades and scales it: kubectl apply -k again
// after a new image, an autoscaler that owns the counts it scales, one bot
// pool, the image set through kustomize.

// scaledObjectOf is the ScaledObject that scales a workload, if any.
func (m manifests) scaledObjectOf(kind, name string) (scaledObject, bool) {
	for _, so := range m.scaled {
		if so.Spec.ScaleTargetRef.Kind == kind && so.Spec.ScaleTargetRef.Name == name {
			return so, true
		}
	}
	return scaledObject{}, false
}

// gokaGroupsOf are the goka groups a pod's components run.
func gokaGroupsOf(pod corev1.PodTemplateSpec) []string {
	var groups []string
	args := pod.Spec.Containers[0].Args
	for i, a := range args {
		if a != "--components" || i+1 >= len(args) {
			continue
		}
		for _, c := range strings.Split(args[i+1], ",") {
			for _, f := range topics.GroupFlows() {
				if f.Group == "mallbots."+c {
					groups = append(groups, f.Group)
				}
			}
		}
	}
	return groups
}

func TestKubernetesAutoscalersOwnTheirCountScaleOnLagAndStopAtThePartitions(t *testing.T) {
	m := loadManifests(t)
	if len(m.hpas) > 0 {
		t.Errorf("deploy/k8s holds %d HorizontalPodAutoscalers: KEDA's ScaledObjects scale on lag without a metrics adapter, an HPA on an External metric needs one", len(m.hpas))
	}
	if len(m.scaled) == 0 {
		t.Fatal("no ScaledObject: the processors do not scale on their lag")
	}
	brokers := m.configMaps["mallbots-config"].Data["MALLBOTS_BROKERS"]
	for _, so := range m.scaled {
		where := "ScaledObject " + so.Name
		ref := so.Spec.ScaleTargetRef
		var replicas *int32
		var pod corev1.PodTemplateSpec
		switch st, d := m.statefulSets[ref.Name], m.deployments[ref.Name]; {
		case ref.Kind == "StatefulSet" && st.Name != "":
			replicas, pod = st.Spec.Replicas, st.Spec.Template
		case ref.Kind == "Deployment" && d.Name != "":
			replicas, pod = d.Spec.Replicas, d.Spec.Template
		default:
			t.Errorf("%s: scales %s %s, which is not here", where, ref.Kind, ref.Name)
			continue
		}
		if replicas != nil {
			t.Errorf("%s %s sets replicas: %d while %s owns its count: every kubectl apply would reset it", ref.Kind, ref.Name, *replicas, where)
		}
		if so.Spec.MaxReplicaCount == nil || *so.Spec.MaxReplicaCount > topics.AggregatePartitions {
			t.Errorf("%s: maxReplicaCount %v, want at most the %d partitions per group: the extra replicas would own nothing", where, so.Spec.MaxReplicaCount, topics.AggregatePartitions)
		}
		if so.Spec.MinReplicaCount == nil || *so.Spec.MinReplicaCount < 2 {
			t.Errorf("%s: minReplicaCount %v, want at least 2 (a pod lost must not stop a group)", where, so.Spec.MinReplicaCount)
		}
		if !slices.ContainsFunc(m.pdbs, func(p policyv1.PodDisruptionBudget) bool { return matches(p.Spec.Selector, pod.Labels) }) {
			t.Errorf("%s %s: autoscaled without a PodDisruptionBudget", ref.Kind, ref.Name)
		}
		var triggered []string
		for i, tr := range so.Spec.Triggers {
			md := tr.Metadata
			if tr.Type != "kafka" {
				t.Errorf("%s trigger %d: type %s, want kafka (the consumer group's lag)", where, i, tr.Type)
				continue
			}
			triggered = append(triggered, md["consumerGroup"])
			if md["allowIdleConsumers"] != "false" {
				t.Errorf("%s trigger %s: allowIdleConsumers %q, want false (no more replicas than partitions)", where, md["consumerGroup"], md["allowIdleConsumers"])
			}
			if md["bootstrapServers"] != brokers {
				t.Errorf("%s trigger %s: bootstrapServers %q, want the ConfigMap's MALLBOTS_BROKERS %q", where, md["consumerGroup"], md["bootstrapServers"], brokers)
			}
			if md["lagThreshold"] == "" {
				t.Errorf("%s trigger %s: no lagThreshold", where, md["consumerGroup"])
			}
			auth, ok := m.triggerAuths[tr.AuthenticationRef.Name]
			if !ok {
				t.Errorf("%s trigger %s: no TriggerAuthentication %q (the brokers require SASL)", where, md["consumerGroup"], tr.AuthenticationRef.Name)
				continue
			}
			var params []string
			for _, r := range auth.Spec.SecretTargetRef {
				params = append(params, r.Parameter)
			}
			for _, want := range []string{"sasl", "username", "password", "tls", "ca"} {
				if !slices.Contains(params, want) {
					t.Errorf("TriggerAuthentication %s: no %s from a Secret (have %v)", auth.Name, want, params)
				}
			}
		}
		slices.Sort(triggered)
		want := gokaGroupsOf(pod)
		slices.Sort(want)
		if !slices.Equal(triggered, want) {
			t.Errorf("%s: triggers on groups %v, want every goka group its pods run %v", where, triggered, want)
		}
	}
	// Every goka group's workload is scaled on its lag.
	for _, s := range m.statefulSets {
		if _, ok := m.scaledObjectOf("StatefulSet", s.Name); len(gokaGroupsOf(s.Spec.Template)) > 0 && !ok {
			t.Errorf("StatefulSet %s runs goka groups %v without a ScaledObject", s.Name, gokaGroupsOf(s.Spec.Template))
		}
	}
	if _, ok := topics.PrincipalByName(topics.PrincipalName(topics.RoleMetrics)); !ok {
		t.Errorf("KEDA connects as %s, which is no principal", topics.PrincipalName(topics.RoleMetrics))
	}
}

func TestKubernetesBotsNeverRunTwoPools(t *testing.T) {
	m := loadManifests(t)
	var d appsv1.Deployment
	for _, dep := range m.deployments {
		if slices.Contains(strings.Split(firstComponentsArg(dep.Spec.Template), ","), "botpool") {
			d = dep
		}
	}
	if d.Name == "" {
		t.Fatal("no Deployment runs the botpool")
	}
	if d.Spec.Strategy.Type != appsv1.RecreateDeploymentStrategyType {
		t.Errorf("Deployment %s: strategy %q, want Recreate: a rolling update runs the old and the new pool, the same bots twice", d.Name, d.Spec.Strategy.Type)
	}
	if ptrOr(d.Spec.Replicas) != 1 {
		t.Errorf("Deployment %s: %d replicas, want 1", d.Name, ptrOr(d.Spec.Replicas))
	}
	if _, ok := m.scaledObjectOf("Deployment", d.Name); ok {
		t.Errorf("Deployment %s is autoscaled: two pools would run the same bots", d.Name)
	}
}

// firstComponentsArg is a pod's --components argument.
func firstComponentsArg(pod corev1.PodTemplateSpec) string {
	args := pod.Spec.Containers[0].Args
	for i, a := range args {
		if a == "--components" && i+1 < len(args) {
			return args[i+1]
		}
	}
	return ""
}

func TestKubernetesSetupJobCanBeAppliedAgainWithANewImage(t *testing.T) {
	m := loadManifests(t)
	if len(m.jobs) != 1 {
		t.Fatalf("%d Jobs, want the one setup Job", len(m.jobs))
	}
	var job batchv1.Job
	for _, j := range m.jobs {
		job = j
	}
	if job.GenerateName != "" {
		t.Errorf("Job %s: generateName, which kubectl apply cannot apply", job.Name)
	}
	if job.Spec.TTLSecondsAfterFinished == nil {
		t.Errorf("Job %s: no ttlSecondsAfterFinished: finished Jobs of every release would pile up", job.Name)
	}
	for _, c := range append(slices.Clone(job.Spec.Template.Spec.InitContainers), job.Spec.Template.Spec.Containers...) {
		if c.Resources.Requests.Memory().IsZero() || c.Resources.Limits.Memory().IsZero() {
			t.Errorf("Job %s container %s: a memory request and limit are required", job.Name, c.Name)
		}
	}
	// Its name takes the image's tag, after the images transformer.
	renamed := false
	for _, r := range m.kustomize.Replacements {
		src := r.Source
		if src.Kind != "Job" || src.Name != job.Name || !strings.HasSuffix(src.FieldPath, ".image") || src.Options.Delimiter != ":" || src.Options.Index != 1 {
			continue
		}
		for _, tg := range r.Targets {
			if tg.Select.Kind == "Job" && tg.Select.Name == job.Name && slices.Contains(tg.FieldPaths, "metadata.name") &&
				tg.Options.Delimiter == "-" && tg.Options.Index == strings.Count(job.Name, "-") {
				renamed = true
			}
		}
	}
	if !renamed {
		t.Errorf("kustomization.yaml: no replacement puts the image's tag into the last part of the Job's name %s: a new image would change the template of the same Job, which Kubernetes refuses", job.Name)
	}
	built, ok := kustomizeBuild(t)
	if !ok {
		return
	}
	image := m.kustomize.Images[0]
	want := strings.TrimSuffix(job.Name, job.Name[strings.LastIndex(job.Name, "-"):]) + "-" + image.NewTag
	if !slices.Contains(built.jobs, want) {
		t.Errorf("kustomize names the Job %v, want %s", built.jobs, want)
	}
}

func TestKubernetesImageIsSetThroughKustomize(t *testing.T) {
	m := loadManifests(t)
	var image string
	for _, p := range m.pods() {
		for _, c := range append(slices.Clone(p.spec.InitContainers), p.spec.Containers...) {
			if strings.HasPrefix(c.Image, "mallbots:") || c.Image == "mallbots" {
				image = c.Image
			}
		}
	}
	if len(m.kustomize.Images) != 1 || m.kustomize.Images[0].Name != "mallbots" {
		t.Fatalf("kustomization.yaml images: %+v, want one entry for mallbots (the manifests say %s, which no node can pull)", m.kustomize.Images, image)
	}
	img := m.kustomize.Images[0]
	if img.NewName == "" || img.NewName == "mallbots" || slices.Contains([]string{"", "local", "latest"}, img.NewTag) {
		t.Errorf("kustomization.yaml: mallbots becomes %s:%s, want a registry's name and a release tag", img.NewName, img.NewTag)
	}
	built, ok := kustomizeBuild(t)
	if !ok {
		return
	}
	for _, got := range built.images {
		if strings.Contains(got, "mallbots") && got != img.NewName+":"+img.NewTag {
			t.Errorf("kustomize leaves the image %s, want %s:%s", got, img.NewName, img.NewTag)
		}
	}
}

// built is what kustomize renders of deploy/k8s.
type built struct {
	jobs   []string
	images []string
}

// kustomizeBuild renders deploy/k8s with kustomize's own library (krusty,
// what kubectl kustomize runs), so the check needs no kubectl installed.
func kustomizeBuild(t *testing.T) (built, bool) {
	t.Helper()
	res, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(filesys.MakeFsOnDisk(), "../../deploy/k8s")
	if err != nil {
		t.Fatalf("kustomize build deploy/k8s: %v", err)
	}
	out, err := res.AsYaml()
	if err != nil {
		t.Fatalf("kustomize build deploy/k8s: %v", err)
	}
	var b built
	for _, doc := range strings.Split(string(out), "\n---\n") {
		var obj struct {
			Kind     string `json:"kind"`
			Metadata struct {
				Name string `json:"name"`
			} `json:"metadata"`
		}
		if err := yaml.Unmarshal([]byte(doc), &obj); err != nil {
			t.Fatal(err)
		}
		if obj.Kind == "Job" {
			b.jobs = append(b.jobs, obj.Metadata.Name)
		}
		for _, line := range strings.Split(doc, "\n") {
			if l := strings.TrimSpace(line); strings.HasPrefix(l, "image: ") || strings.HasPrefix(l, "- image: ") {
				b.images = append(b.images, strings.TrimSpace(l[strings.Index(l, "image: ")+len("image: "):]))
			}
		}
	}
	if len(b.images) == 0 {
		t.Fatalf("kustomize rendered no image:\n%s", out)
	}
	return b, true
}
