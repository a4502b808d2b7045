package bench

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"strings"
	"text/tabwriter"
	"time"
)

// Result is a row's verdict.
type Result string

// The verdicts.
const (
	Pass    Result = "PASS"
	Fail    Result = "FAIL"
	Skipped Result = "not run"
)

func verdict(ok bool) Result {
	if ok {
		return Pass
	}
	return Fail
}

// Row is one target of SPEC §7 (or of orgtui) as measured: the figure, the
// baseline it is held against, the ratio of the two, the target and the
// verdict.
type Row struct {
	// Key names the row for other tools: "roundtrip", "org-get", …
	Key string
	// What says what was measured.
	What string
	// Figure is the median over the runs: throughput, p50, p99.
	Figure string
	// Spread is the lowest and highest run.
	Spread string
	// Baseline is what the figure is compared with, measured in the same
	// run.
	Baseline string
	// Ratio is the figure over the baseline, as the target reads it.
	Ratio string
	// Target is SPEC §7's.
	Target string
	// Result is PASS or FAIL against the target.
	Result Result
	// Note explains how the row was measured, or why it was not.
	Note string
}

// Report is a whole run.
type Report struct {
	Machine Machine
	Options Options
	Started time.Time
	Elapsed time.Duration
	Rows    []Row
	// Curve is the capacity curve of SPEC §11, when it was measured.
	Curve []CurvePoint
}

// Machine is what the run ran on.
type Machine struct {
	CPU        string
	Cores      int
	GOMAXPROCS int
	Go         string
	OS         string
	Kernel     string
	MemoryMiB  int
	LoadAvg    string // at the start of the run
}

// ThisMachine describes the machine this process runs on.
func ThisMachine() Machine {
	m := Machine{
		CPU:        "unknown",
		Cores:      runtime.NumCPU(),
		GOMAXPROCS: runtime.GOMAXPROCS(0),
		Go:         runtime.Version(),
		OS:         runtime.GOOS + "/" + runtime.GOARCH,
	}
	if v, ok := procField("/proc/cpuinfo", "model name"); ok {
		m.CPU = v
	}
	if v, ok := procField("/proc/meminfo", "MemTotal"); ok {
		var kb int
		if _, err := fmt.Sscanf(v, "%d kB", &kb); err == nil {
			m.MemoryMiB = kb / 1024
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		if f := strings.Fields(string(b)); len(f) >= 3 {
			m.LoadAvg = strings.Join(f[:3], " ")
		}
	}
	return m
}

// procField returns the value of the first "name: value" line of a /proc
// file.
func procField(path, name string) (string, bool) {
	f, err := os.Open(path)
	if err != nil {
		return "", false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == name {
			return strings.TrimSpace(v), true
		}
	}
	return "", false
}

func (m Machine) String() string {
	s := fmt.Sprintf("%s, %d cores (GOMAXPROCS %d), %d MiB, %s, Linux %s, %s",
		m.CPU, m.Cores, m.GOMAXPROCS, m.MemoryMiB, m.OS, m.Kernel, m.Go)
	if m.LoadAvg != "" {
		s += ", load average " + m.LoadAvg + " at the start"
	}
	return s
}

// sizes describes the run's sizes.
func (r *Report) sizes() string {
	o := r.Options
	kind := "full run"
	if o.Quick {
		kind = "quick run (BENCH_QUICK=1: reduced sizes, shorter windows; not the sizes of the targets)"
	}
	return fmt.Sprintf("%s: %s organizations, %s documents in the renamed one, %d clients, %d runs of %s per figure (bcrypt-bound rows: %d runs of %d operations), bcrypt cost %d; took %s",
		kind, count(o.Orgs), count(o.Documents), o.Clients, o.Runs, o.Window, o.SlowRuns, o.SlowOps, o.BcryptCost, r.Elapsed.Round(time.Second))
}

// Text is the report as printed on a terminal.
func (r *Report) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "machine: %s\n", r.Machine)
	fmt.Fprintf(&b, "%s\n\n", r.sizes())
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "what\tfigure (median)\tspread (min–max)\tbaseline\tratio\ttarget\tresult")
	for _, row := range r.Rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", row.What, row.Figure, row.Spread, row.Baseline, row.Ratio, row.Target, row.Result)
	}
	tw.Flush()
	b.WriteString("\n")
	for i, row := range r.Rows {
		if row.Note != "" {
			fmt.Fprintf(&b, "%d. %s: %s\n", i+1, row.What, row.Note)
		}
	}
	b.WriteString(r.curveText())
	return b.String()
}

// Markdown is the report as docs/benchmarks.md holds it.
func (r *Report) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Machine: %s.\n\n", r.Machine)
	fmt.Fprintf(&b, "Run of %s, %s.\n\n", r.Started.UTC().Format("2006-01-02 15:04 MST"), r.sizes())
	b.WriteString("| # | what | figure (median) | spread (min–max) | baseline (same run) | ratio | target | result |\n")
	b.WriteString("| --- | --- | --- | --- | --- | --- | --- | --- |\n")
	for i, row := range r.Rows {
		fmt.Fprintf(&b, "| %d | %s | %s | %s | %s | %s | %s | **%s** |\n", i+1,
			cellText(row.What), cellText(row.Figure), cellText(row.Spread), cellText(row.Baseline),
			cellText(row.Ratio), cellText(row.Target), row.Result)
	}
	b.WriteString("\n")
	for i, row := range r.Rows {
		if row.Note != "" {
			fmt.Fprintf(&b, "%d. %s\n", i+1, row.Note)
		}
	}
	b.WriteString(r.curveMarkdown())
	return b.String()
}

func cellText(s string) string {
	if s == "" {
		return "—"
	}
	return strings.ReplaceAll(s, "|", `\|`)
}
