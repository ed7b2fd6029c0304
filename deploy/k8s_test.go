package deploy_test

import (
	"os"
	"path"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// k8sJob is the part of a Kubernetes Job manifest the checks read.
type k8sJob struct {
	Kind string `yaml:"kind"`
	Spec struct {
		CompletionMode string `yaml:"completionMode"`
		Completions    int    `yaml:"completions"`
		Template       struct {
			Spec struct {
				Containers []struct {
					Args []string `yaml:"args"`
					Env  []struct {
						Name      string `yaml:"name"`
						ValueFrom struct {
							FieldRef struct {
								FieldPath string `yaml:"fieldPath"`
							} `yaml:"fieldRef"`
						} `yaml:"valueFrom"`
					} `yaml:"env"`
					VolumeMounts []struct {
						MountPath string `yaml:"mountPath"`
					} `yaml:"volumeMounts"`
				} `yaml:"containers"`
			} `yaml:"spec"`
		} `yaml:"template"`
	} `yaml:"spec"`
}

func readJob(t *testing.T, name string) k8sJob {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	var j k8sJob
	if err := yaml.Unmarshal(b, &j); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if j.Kind != "Job" || len(j.Spec.Template.Spec.Containers) != 1 {
		t.Fatalf("%s: kind %q with %d containers, want a Job with one", name, j.Kind, len(j.Spec.Template.Spec.Containers))
	}
	return j
}

// flagValue returns the value of --name=value in args.
func flagValue(args []string, name string) string {
	for _, a := range args {
		if v, ok := strings.CutPrefix(a, "--"+name+"="); ok {
			return v
		}
	}
	return ""
}

// TestK8sSweepJobRunsOneSlicePerIndexAndTheMergeReadsThemAll checks that
// the Indexed Job gives every index its own slice and output directory,
// with as many slices as completions, and that the merge Job reads the
// directory the slices are written under.
func TestK8sSweepJobRunsOneSlicePerIndexAndTheMergeReadsThemAll(t *testing.T) {
	sweep := readJob(t, "k8s/sweep-job.yaml")
	c := sweep.Spec.Template.Spec.Containers[0]
	if sweep.Spec.CompletionMode != "Indexed" {
		t.Errorf("completionMode %q, want Indexed", sweep.Spec.CompletionMode)
	}
	if len(c.Args) == 0 || c.Args[0] != "backtest" || flagValue(c.Args, "sweep") == "" {
		t.Errorf("args %v, want a backtest with --sweep", c.Args)
	}
	if want := "job/" + itoa(sweep.Spec.Completions); flagValue(c.Args, "shard") != want {
		t.Errorf("--shard=%s with %d completions, want --shard=%s", flagValue(c.Args, "shard"), sweep.Spec.Completions, want)
	}
	out := flagValue(c.Args, "out")
	var shardVar string
	for _, e := range c.Env {
		if e.ValueFrom.FieldRef.FieldPath == "metadata.annotations['batch.kubernetes.io/job-completion-index']" {
			shardVar = e.Name
		}
	}
	if shardVar == "" || !strings.HasSuffix(out, "$("+shardVar+")") {
		t.Errorf("--out=%s: want a directory per index, ending in $(VAR) of the completion index (env %+v)", out, c.Env)
	}
	for _, a := range []string{"config", "data", "out"} {
		if v := flagValue(c.Args, a); !strings.HasPrefix(v, c.VolumeMounts[0].MountPath+"/") {
			t.Errorf("--%s=%s is not on the shared volume %s", a, v, c.VolumeMounts[0].MountPath)
		}
	}
	merge := readJob(t, "k8s/merge-job.yaml")
	m := merge.Spec.Template.Spec.Containers[0].Args
	if len(m) < 4 || m[0] != "sweep" || m[1] != "merge" || m[len(m)-1] != path.Dir(out) {
		t.Errorf("merge args %v, want sweep merge ... %s", m, path.Dir(out))
	}
}
