// Package deploy holds the deployment manifests (deploy/k8s); its tests
// decode them with the Kubernetes API types, strictly.
package deploy

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"pbxlab/sim/scenario"
)

// documents splits a multi-document YAML file and returns each document
// with its kind.
func documents(t *testing.T, path string) map[string][]byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	docs := map[string][]byte{}
	for _, doc := range bytes.Split(data, []byte("\n---\n")) {
		var meta struct {
			Kind string `json:"kind"`
		}
		if err := yaml.Unmarshal(doc, &meta); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if meta.Kind == "" {
			t.Fatalf("%s: a document without kind:\n%s", path, doc)
		}
		if _, dup := docs[meta.Kind]; dup {
			t.Fatalf("%s: two %s documents", path, meta.Kind)
		}
		docs[meta.Kind] = doc
	}
	return docs
}

// TestDeploySimJob: the sharded sim Job decodes strictly (no unknown or
// misspelt field) into batchv1.Job, is Indexed with completions ==
// parallelism, runs `pbxlab sim --shard $(JOB_COMPLETION_INDEX)/N` with N
// the completions, from the pbxlab image, with the scenario of its
// ConfigMap (a valid scenario) and its reports on the claimed volume.
func TestDeploySimJob(t *testing.T) {
	docs := documents(t, filepath.Join("k8s", "sim-job.yaml"))
	var job batchv1.Job
	if err := yaml.UnmarshalStrict(docs["Job"], &job); err != nil {
		t.Fatalf("Job: %v", err)
	}
	var cm corev1.ConfigMap
	if err := yaml.UnmarshalStrict(docs["ConfigMap"], &cm); err != nil {
		t.Fatalf("ConfigMap: %v", err)
	}
	var pvc corev1.PersistentVolumeClaim
	if err := yaml.UnmarshalStrict(docs["PersistentVolumeClaim"], &pvc); err != nil {
		t.Fatalf("PersistentVolumeClaim: %v", err)
	}

	s := job.Spec
	if s.CompletionMode == nil || *s.CompletionMode != batchv1.IndexedCompletion {
		t.Errorf("completionMode %v, want Indexed", s.CompletionMode)
	}
	if s.Completions == nil || s.Parallelism == nil || *s.Completions != *s.Parallelism || *s.Completions < 2 {
		t.Fatalf("completions %v, parallelism %v: want equal, at least 2", s.Completions, s.Parallelism)
	}
	if s.BackoffLimit == nil || *s.BackoffLimit != 0 {
		t.Errorf("backoffLimit %v: a retried shard would place its calls twice", s.BackoffLimit)
	}
	if s.Template.Spec.RestartPolicy != corev1.RestartPolicyNever {
		t.Errorf("restartPolicy %q", s.Template.Spec.RestartPolicy)
	}
	if len(s.Template.Spec.Containers) != 1 {
		t.Fatalf("%d containers", len(s.Template.Spec.Containers))
	}
	c := s.Template.Spec.Containers[0]
	if c.Image != "pbxlab:latest" && !strings.HasPrefix(c.Image, "pbxlab:") && !strings.Contains(c.Image, "/pbxlab:") {
		t.Errorf("image %q, want the pbxlab image (build/Dockerfile)", c.Image)
	}
	args := append(slices.Clone(c.Command), c.Args...)
	if len(args) == 0 || args[0] != "sim" {
		t.Fatalf("args %q: want the image's entrypoint (pbxlab) run with sim", args)
	}
	shard := fmt.Sprintf("--shard=$(JOB_COMPLETION_INDEX)/%d", *s.Completions)
	if !slices.Contains(args, shard) {
		t.Errorf("args %q lack %q", args, shard)
	}
	var reportArg string
	for _, a := range args {
		if v, ok := strings.CutPrefix(a, "--report="); ok {
			reportArg = v
		}
	}
	if !strings.Contains(reportArg, "$(JOB_COMPLETION_INDEX)") {
		t.Errorf("--report=%q: want one file per shard", reportArg)
	}

	// the scenario comes from the ConfigMap, mounted where the args say
	mounts := map[string]string{}
	for _, m := range c.VolumeMounts {
		mounts[m.Name] = m.MountPath
	}
	var scenarioFile string
	for _, v := range s.Template.Spec.Volumes {
		switch {
		case v.ConfigMap != nil && v.ConfigMap.Name == cm.Name:
			for key := range cm.Data {
				scenarioFile = filepath.Join(mounts[v.Name], key)
			}
		case v.PersistentVolumeClaim != nil:
			if v.PersistentVolumeClaim.ClaimName != pvc.Name || !strings.HasPrefix(reportArg, mounts[v.Name]+"/") {
				t.Errorf("reports %q not on the claimed volume %q at %q", reportArg, pvc.Name, mounts[v.Name])
			}
		}
	}
	if scenarioFile == "" || !slices.Contains(args, scenarioFile) {
		t.Errorf("args %q do not name the ConfigMap's scenario (%q)", args, scenarioFile)
	}
	for key, doc := range cm.Data {
		if _, err := scenario.Parse(key, []byte(doc)); err != nil {
			t.Errorf("the ConfigMap's scenario: %v", err)
		}
	}
	if !slices.Contains(pvc.Spec.AccessModes, corev1.ReadWriteMany) {
		t.Errorf("reports claim access modes %v: the shards' pods may be on different nodes", pvc.Spec.AccessModes)
	}
}

// TestDeployStrictDecodingCatchesTypos: the strict decoding the test
// relies on rejects a misspelt field.
func TestDeployStrictDecodingCatchesTypos(t *testing.T) {
	var job batchv1.Job
	err := yaml.UnmarshalStrict([]byte("apiVersion: batch/v1\nkind: Job\nspec:\n  completionMod: Indexed\n"), &job)
	if err == nil {
		t.Fatal("a misspelt field decoded")
	}
}
