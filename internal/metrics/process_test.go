package metrics

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// startTimes gathers c alone and returns every sample of the start time.
func startTimes(t *testing.T, c prometheus.Collector) []float64 {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(c)
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var got []float64
	for _, f := range fams {
		if f.GetName() == startTimeName {
			for _, m := range f.GetMetric() {
				got = append(got, m.GetGauge().GetValue())
			}
		}
	}
	return got
}

func TestTheStartTimeIsTheProcessCollectorsWhereItReadsOne(t *testing.T) {
	started := time.Now().Add(-time.Hour) // unlike the process's own
	got := startTimes(t, newProcessCollector(started))
	if len(got) != 1 {
		t.Fatalf("%d samples of %s, want 1", len(got), startTimeName)
	}
	// This process began after boot and before now, and not an hour ago.
	if s := time.Unix(int64(got[0]), 0); s.After(time.Now()) || time.Since(s) > 50*time.Minute {
		t.Errorf("%s = %s, want this process's start", startTimeName, s)
	}
	if problems, err := testutil.CollectAndLint(newProcessCollector(started)); err != nil || len(problems) > 0 {
		t.Errorf("lint: %v %v", problems, err)
	}
}

// blind is a process collector that could read nothing of /proc/stat: it
// leaves the start time out, as the real one does under ProcSubset=pid.
type blind struct{ fds prometheus.Gauge }

func (b blind) Describe(ch chan<- *prometheus.Desc) {
	b.fds.Describe(ch)
	ch <- prometheus.NewDesc(startTimeName, "Start time of the process since unix epoch in seconds.", nil, nil)
}

func (b blind) Collect(ch chan<- prometheus.Metric) { b.fds.Collect(ch) }

func TestTheStartTimeIsOrgdsWhereProcStatIsHidden(t *testing.T) {
	started := time.Date(2026, 12, 6, 17, 0, 0, 500_000_000, time.UTC)
	c := newProcessCollector(started)
	c.Collector = blind{prometheus.NewGauge(prometheus.GaugeOpts{Name: "process_open_fds", Help: "Number of open file descriptors."})}
	got := startTimes(t, c)
	if len(got) != 1 || got[0] != float64(started.UnixMilli())/1e3 {
		t.Errorf("%s = %v, want [%v]", startTimeName, got, float64(started.UnixMilli())/1e3)
	}
}
