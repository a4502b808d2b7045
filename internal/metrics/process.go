package metrics

import (
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// startTimeName is the process collector's family of the process's start
// time, which dashboards use to see restarts.
const startTimeName = "process_start_time_seconds"

// processCollector is Prometheus's process collector, with a start time
// even where it cannot read one. It reads it from /proc/stat, which the
// systemd unit hides (ProcSubset=pid); it then leaves the family out,
// silently. orgd then gives the time it began, at most the time the
// daemon took to start after the process did.
type processCollector struct {
	prometheus.Collector
	start     time.Time
	startDesc *prometheus.Desc
}

func newProcessCollector(start time.Time) processCollector {
	return processCollector{
		Collector: collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		start:     start,
		// Name and help as the process collector's, so that one family
		// describes both.
		startDesc: prometheus.NewDesc(startTimeName, "Start time of the process since unix epoch in seconds.", nil, nil),
	}
}

func (c processCollector) Collect(ch chan<- prometheus.Metric) {
	inner := make(chan prometheus.Metric)
	go func() {
		c.Collector.Collect(inner)
		close(inner)
	}()
	var hasStart bool
	for m := range inner {
		hasStart = hasStart || isFamily(m.Desc(), startTimeName)
		ch <- m
	}
	if !hasStart {
		ch <- prometheus.MustNewConstMetric(c.startDesc, prometheus.GaugeValue, float64(c.start.UnixNano())/1e9)
	}
}

// isFamily reports whether d describes the family name. A Desc tells its
// name only in its String.
func isFamily(d *prometheus.Desc, name string) bool {
	return strings.Contains(d.String(), `fqName: "`+name+`"`)
}
