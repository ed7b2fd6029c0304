package deploy_test

import (
	"encoding/json"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// alertRule is the part of a Prometheus alerting rule the tests read.
type alertRule struct {
	Alert       string            `yaml:"alert"`
	Expr        string            `yaml:"expr"`
	For         string            `yaml:"for"`
	Labels      map[string]string `yaml:"labels"`
	Annotations map[string]string `yaml:"annotations"`
}

func loadAlertRules(t *testing.T) []alertRule {
	t.Helper()
	raw, err := os.ReadFile("prometheus/alerts.yml")
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Groups []struct {
			Rules []alertRule `yaml:"rules"`
		} `yaml:"groups"`
	}
	if err := yaml.Unmarshal(raw, &file); err != nil {
		t.Fatalf("prometheus/alerts.yml: %v", err)
	}
	var rules []alertRule
	for _, g := range file.Groups {
		rules = append(rules, g.Rules...)
	}
	return rules
}

// alertTests says which alerts alerts_test.yml expects to fire at some
// evaluation and which it expects to be silent at some evaluation.
type alertTests struct{ fires, clears map[string]bool }

func loadAlertTests(t *testing.T) alertTests {
	t.Helper()
	raw, err := os.ReadFile("prometheus/alerts_test.yml")
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Tests []struct {
			AlertRuleTest []struct {
				Alertname string           `yaml:"alertname"`
				ExpAlerts []map[string]any `yaml:"exp_alerts"`
			} `yaml:"alert_rule_test"`
		} `yaml:"tests"`
	}
	if err := yaml.Unmarshal(raw, &file); err != nil {
		t.Fatalf("prometheus/alerts_test.yml: %v", err)
	}
	at := alertTests{fires: map[string]bool{}, clears: map[string]bool{}}
	for _, tc := range file.Tests {
		for _, a := range tc.AlertRuleTest {
			if len(a.ExpAlerts) > 0 {
				at.fires[a.Alertname] = true
			} else {
				at.clears[a.Alertname] = true
			}
		}
	}
	return at
}

func TestEveryAlertHasSeverityAndRunbook(t *testing.T) {
	want := []string{"TradebotDown", "FeedStale", "ReconnectStorm", "SequenceGaps", "KillSwitchEngaged",
		"TradingHalted", "TradingStateNotActive", "DailyLossNearLimit", "PositionUnprotected", "OrderRejectionsSpiking", "RestErrorsRising", "LoopStalled"}
	have := map[string]alertRule{}
	for _, r := range loadAlertRules(t) {
		have[r.Alert] = r
	}
	for _, name := range want {
		r, ok := have[name]
		if !ok {
			t.Errorf("alert %s is missing from alerts.yml", name)
			continue
		}
		if s := r.Labels["severity"]; s != "critical" && s != "warning" {
			t.Errorf("%s: severity %q, want critical or warning", name, s)
		}
		if len(r.Annotations["runbook"]) < 80 {
			t.Errorf("%s: runbook annotation %q says too little about what to check and do", name, r.Annotations["runbook"])
		}
		if r.Annotations["summary"] == "" || r.Annotations["description"] == "" {
			t.Errorf("%s: summary and description annotations are required", name)
		}
	}
}

// panelExpr is one PromQL expression of the dashboard and where it is.
type panelExpr struct{ where, expr string }

// dashboardExprs returns every expr of every panel target and the metric
// selector inside each label_values() template query.
func dashboardExprs(t *testing.T) []panelExpr {
	t.Helper()
	d := loadDashboard(t)
	var out []panelExpr
	for _, p := range d.Panels {
		for _, tg := range p.Targets {
			if tg.Expr == "" {
				t.Errorf("panel %q target %s has no expr", p.Title, tg.RefID)
				continue
			}
			out = append(out, panelExpr{"panel " + p.Title, tg.Expr})
		}
	}
	labelValues := regexp.MustCompile(`^label_values\((.+),\s*[a-z_]+\)$`)
	for _, v := range d.Templating.List {
		if v.Type != "query" {
			continue
		}
		q := variableQuery(t, v.Name, v.Query)
		m := labelValues.FindStringSubmatch(q)
		if m == nil {
			t.Errorf("variable %s: query %q is not label_values(selector, label)", v.Name, q)
			continue
		}
		out = append(out, panelExpr{"variable " + v.Name, m[1]})
	}
	return out
}

type dashboard struct {
	UID    string `json:"uid"`
	Panels []struct {
		ID         int    `json:"id"`
		Type       string `json:"type"`
		Title      string `json:"title"`
		Datasource *struct {
			UID string `json:"uid"`
		} `json:"datasource"`
		Targets []struct {
			Expr  string `json:"expr"`
			RefID string `json:"refId"`
		} `json:"targets"`
	} `json:"panels"`
	Templating struct {
		List []struct {
			Name string `json:"name"`
			Type string `json:"type"`
			// Query is an object for query variables and a plain string
			// (the plugin type) for datasource variables.
			Query json.RawMessage `json:"query"`
		} `json:"list"`
	} `json:"templating"`
}

// variableQuery returns the PromQL of a query variable.
func variableQuery(t *testing.T, name string, raw json.RawMessage) string {
	t.Helper()
	var q struct {
		Query string `json:"query"`
	}
	if err := json.Unmarshal(raw, &q); err != nil {
		t.Errorf("variable %s: query: %v", name, err)
	}
	return q.Query
}

func loadDashboard(t *testing.T) dashboard {
	t.Helper()
	raw, err := os.ReadFile("grafana/tradebot.json")
	if err != nil {
		t.Fatal(err)
	}
	var d dashboard
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatalf("grafana/tradebot.json: %v", err)
	}
	return d
}

// grafanaToPromQL replaces Grafana's variables with values of the same
// kind, so that the expression parses as plain PromQL.
func grafanaToPromQL(expr string) string {
	return strings.NewReplacer(
		"$__rate_interval", "1m", "$__interval", "1m", "$__range", "1h",
		"$strategy", ".*", "$product", ".*",
	).Replace(expr)
}

func itoa(i int) string { return strconv.Itoa(i) }

// yamlQuote returns s as a YAML double-quoted scalar (JSON strings are
// valid YAML).
func yamlQuote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func TestDashboardHasTemplateVariablesStrategyAndProduct(t *testing.T) {
	d := loadDashboard(t)
	found := map[string]string{}
	for _, v := range d.Templating.List {
		if v.Type == "query" {
			found[v.Name] = variableQuery(t, v.Name, v.Query)
		}
	}
	for _, name := range []string{"strategy", "product"} {
		if !strings.HasPrefix(found[name], "label_values(") {
			t.Errorf("variable %s: query %q, want a label_values query", name, found[name])
		}
	}
}

func TestDashboardPanelsHaveUniqueIDsAndUseTheDatasourceVariable(t *testing.T) {
	d := loadDashboard(t)
	if d.UID == "" {
		t.Error("dashboard has no uid; provisioning would give it a new one on every load")
	}
	ids := map[int]string{}
	for _, p := range d.Panels {
		if prev, dup := ids[p.ID]; dup {
			t.Errorf("panels %q and %q share id %d", prev, p.Title, p.ID)
		}
		ids[p.ID] = p.Title
		if p.Type != "row" && (p.Datasource == nil || p.Datasource.UID != "${datasource}") {
			t.Errorf("panel %q does not use the ${datasource} variable", p.Title)
		}
	}
}

// metricName matches the names an expression uses; tradebot's all start
// with tradebot_.
var metricName = regexp.MustCompile(`\btradebot_[a-z_]+\b`)

// family strips the series suffixes of histograms and summaries.
func family(name string, exposed map[string]bool) string {
	if exposed[name] {
		return name
	}
	for _, suffix := range []string{"_bucket", "_count", "_sum"} {
		if base, ok := strings.CutSuffix(name, suffix); ok && exposed[base] {
			return base
		}
	}
	return name
}

// usedMetricNames returns every tradebot metric name the dashboard and
// the alert rules read, with where each is read.
func usedMetricNames(t *testing.T) map[string][]string {
	t.Helper()
	used := map[string][]string{}
	for _, e := range dashboardExprs(t) {
		for _, n := range metricName.FindAllString(e.expr, -1) {
			used[n] = append(used[n], e.where)
		}
	}
	for _, r := range loadAlertRules(t) {
		for _, n := range metricName.FindAllString(r.Expr, -1) {
			used[n] = append(used[n], "alert "+r.Alert)
		}
	}
	return used
}

func TestDashboardAndAlertsUseOnlyMetricsTheDaemonExposes(t *testing.T) {
	_, exposed := scrape(t)
	used := usedMetricNames(t)
	if len(used) < 20 {
		t.Fatalf("only %d metric names found in the dashboard and alerts", len(used))
	}
	var unknown []string
	for n, where := range used {
		if !exposed[family(n, exposed)] {
			unknown = append(unknown, n+" (in "+strings.Join(where, ", ")+")")
		}
	}
	sort.Strings(unknown)
	for _, u := range unknown {
		t.Errorf("not exposed by the metrics package: %s", u)
	}
}

// TestDashboardShowsEveryTradebotMetric keeps the dashboard complete: a
// metric nobody can see is a metric nobody watches.
func TestDashboardShowsEveryTradebotMetric(t *testing.T) {
	_, exposed := scrape(t)
	shown := map[string]bool{}
	for _, e := range dashboardExprs(t) {
		for _, n := range metricName.FindAllString(e.expr, -1) {
			shown[family(n, exposed)] = true
		}
	}
	for n := range exposed {
		if strings.HasPrefix(n, "tradebot_") && !shown[n] {
			t.Errorf("%s is on no dashboard panel", n)
		}
	}
}
