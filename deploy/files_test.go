package deploy_test

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
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
