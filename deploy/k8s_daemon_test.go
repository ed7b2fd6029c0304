package deploy_test

import (
	"bytes"
	"context"
	"errors"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/tradebot/tradebot/cli"
	"github.com/tradebot/tradebot/metrics"
)

// k8sProbe is an exec probe of a container.
type k8sProbe struct {
	Exec struct {
		Command []string `yaml:"command"`
	} `yaml:"exec"`
}

// k8sDaemon is the part of daemon.yaml's objects the checks read.
type k8sDaemon struct {
	Kind string `yaml:"kind"`
	Spec struct {
		Replicas                 int  `yaml:"replicas"`
		PublishNotReadyAddresses bool `yaml:"publishNotReadyAddresses"`
		Ports                    []struct {
			Port       int    `yaml:"port"`
			TargetPort string `yaml:"targetPort"`
		} `yaml:"ports"`
		Template struct {
			Spec struct {
				Containers []struct {
					Args  []string `yaml:"args"`
					Ports []struct {
						Name          string `yaml:"name"`
						ContainerPort int    `yaml:"containerPort"`
					} `yaml:"ports"`
					StartupProbe   *k8sProbe `yaml:"startupProbe"`
					LivenessProbe  *k8sProbe `yaml:"livenessProbe"`
					ReadinessProbe *k8sProbe `yaml:"readinessProbe"`
				} `yaml:"containers"`
			} `yaml:"spec"`
		} `yaml:"template"`
	} `yaml:"spec"`
}

// readDaemonManifest reads k8s/daemon.yaml's Service and StatefulSet.
func readDaemonManifest(t *testing.T) (svc, sts k8sDaemon) {
	t.Helper()
	b, err := os.ReadFile("k8s/daemon.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	for {
		var o k8sDaemon
		if err := dec.Decode(&o); err != nil {
			break
		}
		switch o.Kind {
		case "Service":
			svc = o
		case "StatefulSet":
			sts = o
		}
	}
	if svc.Kind == "" || sts.Kind == "" || len(sts.Spec.Template.Spec.Containers) != 1 {
		t.Fatalf("k8s/daemon.yaml: want a Service and a StatefulSet with one container")
	}
	return svc, sts
}

// The daemon's manifest runs one daemon, restarts it only on what a
// restart mends (liveness asks /healthz, readiness /readyz; no startup
// probe, as the daemon answers from the start of start-up), and keeps a
// not-ready daemon reachable for Prometheus and the kill switch. Each
// probe's command goes through the real command line against the
// daemon's HTTP server on loopback, starting, stuck in start-up, ready,
// HALTED, with a stuck trading loop (which only liveness reports: a
// restart mends it) and gone.
func TestK8sDaemonProbesRestartOnlyWhatARestartMends(t *testing.T) {
	svc, sts := readDaemonManifest(t)
	c := sts.Spec.Template.Spec.Containers[0]
	if sts.Spec.Replicas != 1 {
		t.Errorf("replicas %d, want 1: two daemons would trade one account", sts.Spec.Replicas)
	}
	if !svc.Spec.PublishNotReadyAddresses {
		t.Error("the Service does not publish not-ready addresses: a HALTED daemon would drop out of Prometheus' targets and the operator's reach")
	}
	i := slices.Index(c.Args, "--web.listen-address")
	if i < 0 || i+1 >= len(c.Args) || len(c.Ports) != 1 || !strings.HasSuffix(c.Args[i+1], ":"+itoa(c.Ports[0].ContainerPort)) {
		t.Fatalf("args %v and ports %+v: want --web.listen-address on the container's port", c.Args, c.Ports)
	}
	if len(svc.Spec.Ports) != 1 || svc.Spec.Ports[0].TargetPort != c.Ports[0].Name {
		t.Errorf("the Service's ports %+v do not target the container's port %q", svc.Spec.Ports, c.Ports[0].Name)
	}
	port := itoa(c.Ports[0].ContainerPort)
	if c.StartupProbe != nil {
		t.Error("a startup probe: the daemon answers /healthz from the start of start-up, and liveness covers start-up")
	}
	probes := map[string]*k8sProbe{"liveness": c.LivenessProbe, "readiness": c.ReadinessProbe}
	wantPath := map[string]string{"liveness": "/healthz", "readiness": "/readyz"}
	for name, p := range probes {
		if p == nil {
			t.Fatalf("no %s probe", name)
		}
		argv := p.Exec.Command
		j := slices.Index(argv, "--url")
		if len(argv) < 2 || argv[0] != "/usr/local/bin/tradebot" || argv[1] != "health" || j < 0 || j+1 >= len(argv) {
			t.Fatalf("%s probe %q, want /usr/local/bin/tradebot health --url ...", name, argv)
		}
		u, err := url.Parse(argv[j+1])
		if err != nil || u.Hostname() != "127.0.0.1" || u.Port() != port || u.Path != wantPath[name] {
			t.Errorf("%s probe asks %q, want http://127.0.0.1:%s%s", name, argv[j+1], port, wantPath[name])
		}
	}

	var halted, stalled atomic.Bool
	s, err := metrics.Listen(metrics.ServerConfig{ListenAddress: "127.0.0.1:0", Starting: func() (string, error) {
		if stalled.Load() {
			return "recovering", errors.New("start-up has been recovering since 2026-12-07T06:00:00Z (5m0s; a start-up step may take 5m0s)")
		}
		return "recovering", nil
	}, Ready: func() error {
		if halted.Load() {
			return errors.New("trading is HALTED by kill_switch: going to bed")
		}
		return nil
	}, Live: func() error {
		if stalled.Load() {
			return errors.New("the loop of strategy btc-sma has not turned since 2026-12-07T06:00:00Z (6m0s ago; loop_stall_after 5m0s)")
		}
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); s.Serve(ctx) }()
	stop := func() { cancel(); wg.Wait() }
	defer stop()

	probe := func(name string) int {
		argv := slices.Clone(probes[name].Exec.Command)
		j := slices.Index(argv, "--url") + 1
		u, _ := url.Parse(argv[j])
		u.Host = s.Addr().String()
		argv[j] = u.String()
		var stdout, stderr bytes.Buffer
		return cli.Run(argv, &stdout, &stderr)
	}
	for _, c := range []struct {
		state                string
		started, halt, stall bool
		gone                 bool
		live, readied        int
	}{
		{"starting", false, false, false, false, 0, 1},
		{"stuck in start-up", false, false, true, false, 1, 1},
		{"ready", true, false, false, false, 0, 0},
		{"HALTED", true, true, false, false, 0, 1},
		{"stalled", true, false, true, false, 1, 0},
		{"gone", true, true, false, true, 1, 1},
	} {
		halted.Store(c.halt)
		stalled.Store(c.stall)
		if c.started {
			s.Started()
		}
		if c.gone {
			stop()
		}
		got := []int{probe("liveness"), probe("readiness")}
		if want := []int{c.live, c.readied}; !slices.Equal(got, want) {
			t.Errorf("%s daemon: liveness and readiness probes exit %v, want %v", c.state, got, want)
		}
	}
}
