package packaging_test

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// dashboard is what the test reads of packaging/grafana/orgd.json.
type dashboard struct {
	Title      string  `json:"title"`
	UID        string  `json:"uid"`
	Panels     []panel `json:"panels"`
	Templating struct {
		List []variable `json:"list"`
	} `json:"templating"`
}

// variable is a dashboard variable: the Prometheus to query, or the
// instances to show.
type variable struct {
	Name       string          `json:"name"`
	Type       string          `json:"type"`
	Query      json.RawMessage `json:"query"`
	Definition string          `json:"definition"`
}

type panel struct {
	ID         int    `json:"id"`
	Type       string `json:"type"`
	Title      string `json:"title"`
	Datasource *struct {
		Type string `json:"type"`
		UID  string `json:"uid"`
	} `json:"datasource"`
	Targets []struct {
		Expr string `json:"expr"`
	} `json:"targets"`
	Panels []panel `json:"panels"` // a collapsed row's
}

// readDashboard parses the dashboard that make package ships.
func readDashboard(t *testing.T) dashboard {
	t.Helper()
	var d dashboard
	if err := json.Unmarshal([]byte(readRepoFile(t, "packaging/grafana/orgd.json")), &d); err != nil {
		t.Fatalf("packaging/grafana/orgd.json: %v", err)
	}
	return d
}

// panels returns every panel, those inside collapsed rows included.
func (d dashboard) panels() []panel {
	var out []panel
	var walk func([]panel)
	walk = func(ps []panel) {
		for _, p := range ps {
			out = append(out, p)
			walk(p.Panels)
		}
	}
	walk(d.Panels)
	return out
}

// expressions returns every PromQL expression of the dashboard, by where
// it is: the panels' queries and the variables' label_values() queries.
func (d dashboard) expressions() map[string][]string {
	exprs := map[string][]string{}
	for _, p := range d.panels() {
		for _, tg := range p.Targets {
			if tg.Expr != "" {
				exprs[p.Title] = append(exprs[p.Title], tg.Expr)
			}
		}
	}
	for _, v := range d.Templating.List {
		if v.Type != "query" {
			continue
		}
		// label_values(metric, label): the metric is an expression.
		if m := regexp.MustCompile(`label_values\(\s*([^,]+),`).FindStringSubmatch(v.Definition); m != nil {
			exprs["variable "+v.Name] = append(exprs["variable "+v.Name], m[1])
		}
	}
	return exprs
}

// Parts of PromQL that are not metric names.
var (
	promqlStrings   = regexp.MustCompile(`"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|` + "`[^`]*`")
	promqlMatchers  = regexp.MustCompile(`\{[^}]*\}`)
	promqlRanges    = regexp.MustCompile(`\[[^\]]*\]`)
	promqlGrouping  = regexp.MustCompile(`\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)`)
	grafanaVars     = regexp.MustCompile(`\$\{?\w+\}?`)
	promqlNames     = regexp.MustCompile(`[a-zA-Z_:][a-zA-Z0-9_:]*`)
	promqlKeywords  = map[string]bool{"by": true, "without": true, "on": true, "ignoring": true, "group_left": true, "group_right": true, "bool": true, "offset": true, "and": true, "or": true, "unless": true, "inf": true, "nan": true, "atan2": true}
	histogramSuffix = []string{"_bucket", "_sum", "_count"}
)

// metricNames returns the metric names a PromQL expression selects: the
// identifiers that are neither functions nor keywords, outside label
// matchers, strings, ranges and grouping lists, Grafana's variables left
// out.
func metricNames(expr string) []string {
	s := promqlStrings.ReplaceAllString(expr, " ")
	s = promqlMatchers.ReplaceAllString(s, " ")
	s = promqlRanges.ReplaceAllString(s, " ")
	s = promqlGrouping.ReplaceAllString(s, " ")
	s = grafanaVars.ReplaceAllString(s, " ")
	var names []string
	for _, m := range promqlNames.FindAllStringIndex(s, -1) {
		name := s[m[0]:m[1]]
		switch {
		case m[0] > 0 && strings.ContainsAny(s[m[0]-1:m[0]], "0123456789."):
			continue // a number's exponent: 1e3
		case strings.HasPrefix(strings.TrimLeft(s[m[1]:], " \t\n"), "("):
			continue // a function
		case promqlKeywords[strings.ToLower(name)]:
			continue
		}
		names = append(names, name)
	}
	return names
}

func TestMetricNamesAreFoundInPromQL(t *testing.T) {
	for _, c := range []struct {
		name, expr string
		want       []string
	}{
		{"a bare selector is its name", `orgd_tenants`, []string{"orgd_tenants"}},
		{"label matchers and Grafana's variables are not names", `orgd_tenants{instance=~"$instance", code!="ok"}`, []string{"orgd_tenants"}},
		{"functions and ranges are not names", `rate(orgd_requests_total[$__rate_interval])`, []string{"orgd_requests_total"}},
		{"grouping lists are not names", `histogram_quantile(0.99, sum by (le, method) (rate(orgd_request_duration_seconds_bucket[5m])))`, []string{"orgd_request_duration_seconds_bucket"}},
		{"a grouping after the aggregation is not a name", `sum(rate(a_total[1m])) by (job) / on (job) group_left b`, []string{"a_total", "b"}},
		{"numbers and keywords are not names", `orgd_tenants_limit > 0 and 1e3 < bool orgd_tenants`, []string{"orgd_tenants_limit", "orgd_tenants"}},
		{"a name inside a string is not selected", `label_replace(up, "x", "orgd_fake", "", "")`, []string{"up"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := metricNames(c.expr); !slices.Equal(got, c.want) {
				t.Errorf("metricNames(%q) = %q, want %q", c.expr, got, c.want)
			}
		})
	}
}

// TestGrafanaDashboard checks the dashboard that make package ships
// against a real orgd: every metric its queries name is one that orgd,
// run with --metrics-listen after some traffic, exports.
func TestGrafanaDashboard(t *testing.T) {
	d := readDashboard(t)
	exprs := d.expressions()
	if len(exprs) < 10 {
		t.Fatalf("the dashboard has only %d panels with queries", len(exprs))
	}

	t.Run("it is importable: a title, a uid, unique panel ids, a Prometheus source chosen by a variable", func(t *testing.T) {
		if d.Title == "" || d.UID == "" {
			t.Errorf("title %q, uid %q", d.Title, d.UID)
		}
		ids := map[int]bool{}
		for _, p := range d.panels() {
			if ids[p.ID] {
				t.Errorf("panel id %d twice", p.ID)
			}
			ids[p.ID] = true
			if p.Type != "row" && (p.Datasource == nil || p.Datasource.Type != "prometheus" || p.Datasource.UID != "${datasource}") {
				t.Errorf("panel %q does not query the Prometheus of the datasource variable: %+v", p.Title, p.Datasource)
			}
		}
		if !slices.ContainsFunc(d.Templating.List, func(v variable) bool {
			return v.Name == "datasource" && v.Type == "datasource" && string(v.Query) == `"prometheus"`
		}) {
			t.Error("no datasource variable of type prometheus")
		}
	})

	t.Run("it has the panels the operations guide promises", func(t *testing.T) {
		all := ""
		for _, es := range exprs {
			all += strings.Join(es, "\n") + "\n"
		}
		for what, want := range map[string]string{
			"request rate by method":       `sum by (method) (rate(orgd_requests_total`,
			"errors by method":             `code!="ok"`,
			"latency p50":                  `histogram_quantile(0.5, sum by (le, method) (rate(orgd_request_duration_seconds_bucket`,
			"latency p99":                  `histogram_quantile(0.99, sum by (le, method) (rate(orgd_request_duration_seconds_bucket`,
			"store latency":                `orgd_store_operation_duration_seconds_bucket`,
			"queue":                        `orgd_store_operations_queued`,
			"busy refusals":                `orgd_busy_refusals_total`,
			"tenants":                      `orgd_tenants`,
			"logins":                       `orgd_logins_total`,
			"throttles":                    `orgd_throttled_attempts_total`,
			"SSH sessions":                 `orgd_ssh_sessions`,
			"store up":                     `orgd_store_up`,
			"connections":                  `orgd_connections`,
			"the process's memory":         `process_resident_memory_bytes`,
			"subscribers and dropped ones": `orgd_subscribers_dropped_total`,
		} {
			if !strings.Contains(all, want) {
				t.Errorf("no panel shows %s (no query has %s)", what, want)
			}
		}
	})

	t.Run("every metric a query names is one orgd exports", func(t *testing.T) {
		fams := scrapeRunningOrgd(t)
		for where, es := range exprs {
			for _, e := range es {
				names := metricNames(e)
				if len(names) == 0 {
					t.Errorf("%s: %q names no metric", where, e)
				}
				for _, n := range names {
					if !exported(fams, n) {
						t.Errorf("%s: %q names %s, which orgd does not export", where, e, n)
					}
				}
			}
		}
	})
}

// exported reports whether a scrape has the series name: a family's own
// name, or a histogram's _bucket, _sum or _count.
func exported(fams map[string]*dto.MetricFamily, name string) bool {
	if _, ok := fams[name]; ok {
		return true
	}
	for _, suffix := range histogramSuffix {
		if base, ok := strings.CutSuffix(name, suffix); ok {
			if f, ok := fams[base]; ok && (f.GetType() == dto.MetricType_HISTOGRAM || suffix != "_bucket" && f.GetType() == dto.MetricType_SUMMARY) {
				return true
			}
		}
	}
	return false
}

// scrapeRunningOrgd starts orgd with metrics on a Unix socket, makes some
// traffic (an operator, an organization, logins right and wrong, a lookup)
// and returns its /metrics as Prometheus parses it. With a wrapper, orgd
// runs as the wrapper's last arguments.
func scrapeRunningOrgd(t *testing.T, wrapper ...string) map[string]*dto.MetricFamily {
	t.Helper()
	dir := shortDir(t)
	sock, metrics := filepath.Join(dir, "orgd.sock"), filepath.Join(dir, "metrics.sock")
	cmd := append(wrapper, orgdBinary(t), "serve", "--data-dir", filepath.Join(dir, "data"), "--listen", "unix://"+sock,
		"--metrics-listen", "unix://"+metrics, "--bcrypt-cost", "10")
	p := start(t, baseEnv(), cmd[0], cmd[1:]...)
	waitForSocket(t, sock, p)
	waitForSocket(t, metrics, p)

	c := dialRPC(t, sock)
	var sess struct {
		Token string `json:"token"`
	}
	if err := c.call(t, "auth.bootstrap", map[string]any{"email": "ops@example.com", "password": "operator-secret-1"}, &sess); err != nil {
		t.Fatal(err)
	}
	if err := c.call(t, "org.create", map[string]any{"token": sess.Token, "name": "Acme", "admin_email": "admin@acme.example", "admin_password": "admin-secret-2"}, nil); err != nil {
		t.Fatal(err)
	}
	if err := c.call(t, "org.get", map[string]any{"token": sess.Token, "name": "Acme"}, nil); err != nil {
		t.Fatal(err)
	}
	if err := c.call(t, "auth.login", map[string]any{"email": "admin@acme.example", "password": "wrong-password"}, nil); err == nil {
		t.Fatal("a wrong password logged in")
	}
	if err := c.call(t, "auth.login", map[string]any{"email": "admin@acme.example", "password": "admin-secret-2"}, nil); err != nil {
		t.Fatal(err)
	}

	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", metrics)
		},
	}}
	defer client.CloseIdleConnections()
	resp, err := client.Get("http://orgd/metrics")
	if err != nil {
		t.Fatalf("GET /metrics: %v", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %s, %v", resp.Status, err)
	}
	parser := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := parser.TextToMetricFamilies(strings.NewReader(string(body)))
	if err != nil {
		t.Fatalf("parse /metrics: %v\n%s", err, body)
	}
	return fams
}

// procOfProcesses runs its arguments where /proc shows processes only, and
// only the caller's, as the unit's ProcSubset=pid and ProtectProc=invisible
// make it: in a PID and mount namespace of their own.
var procOfProcesses = []string{"unshare", "--mount", "--pid", "--fork", "--kill-child", "--mount-proc",
	"sh", "-c", `mount -o remount,subset=pid,hidepid=invisible /proc && exec "$0" "$@"`}

// TestProcessMetricsUnderTheUnitsProc checks that a scrape of orgd under
// the unit's view of /proc, which hides /proc/stat, still has the process
// families, its start time included (Prometheus's process collector reads
// it from /proc/stat).
func TestProcessMetricsUnderTheUnitsProc(t *testing.T) {
	need(t, "unshare", "mount")
	if os.Geteuid() != 0 {
		t.Skip("mounting a /proc needs root")
	}
	probe := append(slices.Clone(procOfProcesses), "test", "!", "-e", "/proc/stat")
	if out, err := exec.Command(probe[0], probe[1:]...).CombinedOutput(); err != nil {
		t.Skipf("no /proc of processes only here: %v %s", err, out)
	}
	began := time.Now()
	fams := scrapeRunningOrgd(t, procOfProcesses...)
	for _, name := range []string{"process_start_time_seconds", "process_cpu_seconds_total", "process_resident_memory_bytes", "process_open_fds"} {
		if _, ok := fams[name]; !ok {
			t.Errorf("%s is missing from the scrape", name)
		}
	}
	if f, ok := fams["process_start_time_seconds"]; ok {
		at := time.UnixMilli(int64(f.GetMetric()[0].GetGauge().GetValue() * 1e3))
		if at.Before(began.Add(-time.Second)) || at.After(time.Now()) {
			t.Errorf("process_start_time_seconds = %s, want between the test's start %s and now", at, began)
		}
	}
}
