package deploy_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prometheus/common/expfmt"

	"github.com/tradebot/tradebot/internal/testenv"
	"github.com/tradebot/tradebot/metrics"
	"github.com/tradebot/tradebot/metrics/metricstest"
)

// promtool runs promtool with args (and stdin, if any) in dir and fails the
// test with its output when it exits non-zero.
func promtool(t *testing.T, dir string, stdin []byte, args ...string) string {
	t.Helper()
	bin := testenv.Program(t, "promtool", "prometheus")
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func TestAlertRulesPassPromtoolCheck(t *testing.T) {
	promtool(t, "prometheus", nil, "check", "rules", "alerts.yml")
}

func TestEveryAlertFiresAndClearsInPromtoolUnitTests(t *testing.T) {
	promtool(t, "prometheus", nil, "test", "rules", "alerts_test.yml")
	rules := loadAlertRules(t)
	tests := loadAlertTests(t)
	for _, r := range rules {
		if !tests.fires[r.Alert] {
			t.Errorf("alerts_test.yml never expects %s to fire", r.Alert)
		}
		if !tests.clears[r.Alert] {
			t.Errorf("alerts_test.yml never expects %s to be silent", r.Alert)
		}
	}
}

func TestPrometheusConfigPassesPromtoolCheck(t *testing.T) {
	promtool(t, "prometheus", nil, "check", "config", "prometheus.yml")
}

// scrape returns the text exposition of a registry in which every tradebot
// metric has a series, and the names of the metric families in it.
func scrape(t *testing.T) ([]byte, map[string]bool) {
	t.Helper()
	reg := metrics.NewRegistry()
	if _, _, err := metricstest.Populate(reg); err != nil {
		t.Fatal(err)
	}
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	names := map[string]bool{}
	for _, f := range fams {
		names[f.GetName()] = true
		if _, err := expfmt.MetricFamilyToText(&buf, f); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes(), names
}

func TestExposedMetricsPassPromtoolCheckMetrics(t *testing.T) {
	text, _ := scrape(t)
	out := promtool(t, ".", text, "check", "metrics")
	if strings.TrimSpace(out) != "" {
		t.Errorf("promtool check metrics reported:\n%s", out)
	}
}

// TestDashboardQueriesParse checks every PromQL expression of the dashboard
// (panels and template variables) with promtool, by writing each as a
// recording rule, Grafana's variables replaced by values of the same kind.
func TestDashboardQueriesParse(t *testing.T) {
	exprs := dashboardExprs(t)
	if len(exprs) < 30 {
		t.Fatalf("found only %d expressions in the dashboard", len(exprs))
	}
	var rules strings.Builder
	rules.WriteString("groups:\n  - name: dashboard\n    rules:\n")
	for i, e := range exprs {
		rules.WriteString("      - record: dashboard:expr_" + itoa(i) + "\n        expr: " + yamlQuote(grafanaToPromQL(e.expr)) + "\n")
	}
	path := filepath.Join(t.TempDir(), "dashboard_rules.yml")
	if err := os.WriteFile(path, []byte(rules.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	promtool(t, ".", nil, "check", "rules", path)
}
