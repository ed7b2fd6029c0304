package deploy_test

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/tradebot/tradebot/config"
)

// unitDirectives reads a systemd unit into directive -> values (a
// directive may repeat).
func unitDirectives(t *testing.T, path string) map[string][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string][]string{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, "[") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			t.Fatalf("%s line %d: %q is not key=value", path, n, line)
		}
		out[k] = append(out[k], v)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestSystemdUnitRunsSandboxedAsANonRootUser(t *testing.T) {
	d := unitDirectives(t, "tradebot.service")
	want := map[string]string{
		"User":                  "tradebot",
		"NoNewPrivileges":       "yes",
		"ProtectSystem":         "strict",
		"ProtectHome":           "yes",
		"PrivateTmp":            "yes",
		"StateDirectory":        "tradebot",
		"Restart":               "on-failure",
		"CapabilityBoundingSet": "",
		"KillSignal":            "SIGTERM",
		// The daemon says READY=1 and feeds the watchdog (daemon/systemd.go).
		"Type":           "notify",
		"NotifyAccess":   "main",
		"WatchdogSignal": "SIGTERM",
	}
	for k, v := range want {
		got, ok := d[k]
		if !ok {
			t.Errorf("tradebot.service: %s is not set", k)
			continue
		}
		if got[0] != v {
			t.Errorf("tradebot.service: %s=%s, want %s", k, got[0], v)
		}
	}
	if u := d["User"]; len(u) > 0 && (u[0] == "root" || u[0] == "0") {
		t.Error("tradebot.service runs as root")
	}
	if exec := strings.Join(d["ExecStart"], " "); !strings.Contains(exec, " run ") || !strings.Contains(exec, "--web.config.file") {
		t.Errorf("ExecStart %q should run the daemon with a web config (auth on the kill switch)", exec)
	}
}

func TestComposeMountsFilesThatExistAndPublishesOnLoopbackOnly(t *testing.T) {
	raw, err := os.ReadFile("compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		Services map[string]struct {
			Volumes []string `yaml:"volumes"`
			Ports   []string `yaml:"ports"`
		} `yaml:"services"`
	}
	if err := yaml.Unmarshal(raw, &c); err != nil {
		t.Fatalf("compose.yaml: %v", err)
	}
	for _, name := range []string{"tradebot", "prometheus", "grafana"} {
		if _, ok := c.Services[name]; !ok {
			t.Errorf("compose.yaml has no %s service", name)
		}
	}
	for name, s := range c.Services {
		for _, v := range s.Volumes {
			src, _, _ := strings.Cut(v, ":")
			if !strings.HasPrefix(src, ".") {
				continue // a named volume
			}
			if _, err := os.Stat(filepath.FromSlash(src)); err != nil {
				t.Errorf("service %s mounts %s, which does not exist: %v", name, src, err)
			}
		}
		for _, p := range s.Ports {
			if !strings.HasPrefix(p, "127.0.0.1:") {
				t.Errorf("service %s publishes %q beyond loopback", name, p)
			}
		}
	}
}

func TestGrafanaProvisioningIsValidYAMLAndFindsTheDashboard(t *testing.T) {
	var ds struct {
		Datasources []struct {
			UID  string `yaml:"uid"`
			Type string `yaml:"type"`
		} `yaml:"datasources"`
	}
	readYAML(t, "grafana/provisioning/datasources/prometheus.yml", &ds)
	if len(ds.Datasources) != 1 || ds.Datasources[0].Type != "prometheus" || ds.Datasources[0].UID == "" {
		t.Errorf("datasources = %+v, want one prometheus datasource with a uid", ds.Datasources)
	}
	var dp struct {
		Providers []struct {
			Options struct {
				Path string `yaml:"path"`
			} `yaml:"options"`
		} `yaml:"providers"`
	}
	readYAML(t, "grafana/provisioning/dashboards/tradebot.yml", &dp)
	compose, err := os.ReadFile("compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(dp.Providers) != 1 || !strings.Contains(string(compose), "./grafana/tradebot.json:"+dp.Providers[0].Options.Path+"/") {
		t.Errorf("the dashboard provider reads %+v, where compose.yaml does not mount grafana/tradebot.json", dp.Providers)
	}
}

func readYAML(t *testing.T, path string, v any) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(raw, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// The watchdog restarts a daemon whose loop is stuck, which the daemon
// judges by loop_stall_after (it stops the pings then): WatchdogSec is
// the slack for a missed ping on a loaded host, far above the daemon's
// ping period and well under loop_stall_after, so that the restart
// follows the stall by at most WatchdogSec. Start-up must fit in
// TimeoutStartSec: it talks to Coinbase (recovery, the warm-up's
// candles), which takes minutes at times.
func TestSystemdUnitWatchdogFitsLoopStallAfter(t *testing.T) {
	d := unitDirectives(t, "tradebot.service")
	span := func(name string) time.Duration {
		t.Helper()
		v := d[name]
		if len(v) != 1 {
			t.Fatalf("tradebot.service: %s is set %d times, want once", name, len(v))
		}
		return systemdSpan(t, name, v[0])
	}
	watchdog := span("WatchdogSec")
	if stall := config.Default().LoopStallAfter; watchdog < 30*time.Second || watchdog > stall/2 {
		t.Errorf("WatchdogSec=%s: want at least 30s (a ping every %s must not be missed on a loaded host) and at most half of loop_stall_after's default %s", watchdog, watchdog/2, stall)
	}
	if start := span("TimeoutStartSec"); start < 2*time.Minute {
		t.Errorf("TimeoutStartSec=%s: start-up (recovery with Coinbase, the warm-up's candles) needs minutes", start)
	}
}

// systemdSpan parses a systemd time span of one unit ("90s", "1min", "5min").
func systemdSpan(t *testing.T, name, v string) time.Duration {
	t.Helper()
	units := []struct {
		suffix string
		unit   time.Duration
	}{{"min", time.Minute}, {"s", time.Second}, {"h", time.Hour}}
	for _, u := range units {
		if n, ok := strings.CutSuffix(v, u.suffix); ok {
			if k, err := strconv.Atoi(n); err == nil && k > 0 {
				return time.Duration(k) * u.unit
			}
		}
	}
	t.Fatalf("tradebot.service: %s=%s is not a time span like 90s or 5min", name, v)
	return 0
}
