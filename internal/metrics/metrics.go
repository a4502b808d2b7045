// Package metrics is orgd's Prometheus instrumentation (SPEC §10): one
// registry of its own (never the process-wide default), the families orgd
// exports, and the HTTP handler and server of GET /metrics.
//
// It is a leaf. The JSON-RPC server records requests, connections, logins
// and refusals into it; the daemon records store operations and hands it
// the figures that other parts keep anyway (tenants, store health,
// subscribers, SSH sessions), which are read at each scrape. It knows no
// rules, no store and no JSON-RPC codes beyond the labels it is given.
//
// No label ever holds an organization name, an email or a token: methods
// are named from the server's method table (anything else is "other"),
// codes are JSON-RPC error codes, listeners are the addresses orgd was
// configured with, and store operations are the names of the store's
// methods.
//
// A nil *Metrics, and every recorder it hands out when nil, records
// nothing: orgd without --metrics-listen pays for no metric.
package metrics

import (
	"runtime"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// namespace prefixes every family orgd itself exports.
const namespace = "orgd"

// Buckets are the upper bounds, in seconds, of the duration histograms:
// from 50 µs, which a call served from memory takes, to 30 s, the default
// --request-timeout.
var Buckets = []float64{
	0.00005, 0.0001, 0.00025, 0.0005,
	0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
	0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
}

// Options describe the orgd being measured.
type Options struct {
	// Version is orgd's version, exported as orgd_build_info's label.
	Version string
	// Started is when orgd began to start, exported as the process's
	// start time where the process collector cannot read it; now when
	// zero.
	Started time.Time
}

// Metrics is orgd's registry and the families in it. Make one with New;
// a nil *Metrics records nothing.
type Metrics struct {
	reg *prometheus.Registry
	// own are orgd's own families, without the Go and process collectors.
	own []prometheus.Collector

	requests        *prometheus.CounterVec
	requestDuration *prometheus.HistogramVec
	connections     *prometheus.GaugeVec
	accepted        *prometheus.CounterVec
	storeDuration   *prometheus.HistogramVec
	storeInflight   prometheus.Gauge
	storeQueued     prometheus.Gauge
	busyRefusals    prometheus.Counter
	logins          *prometheus.CounterVec
	throttled       prometheus.Counter

	sources atomic.Pointer[Sources]
}

// New returns orgd's families, registered with the Go and process
// collectors in a registry of their own.
func New(o Options) *Metrics {
	if o.Version == "" {
		o.Version = "dev"
	}
	m := &Metrics{reg: prometheus.NewRegistry()}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Name: "requests_total",
		Help: `JSON-RPC requests answered, by method and code: "ok" for a result, else the JSON-RPC error code. Lines that are no request count under method "other".`,
	}, []string{"method", "code"})
	m.requestDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: namespace, Name: "request_duration_seconds",
		Help:    "Time from reading a JSON-RPC request to writing its answer, by method.",
		Buckets: Buckets,
	}, []string{"method"})
	m.connections = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Namespace: namespace, Name: "connections",
		Help: `JSON-RPC connections open now, by listener address ("in-process" for SSH sessions).`,
	}, []string{"listener"})
	m.accepted = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Name: "connections_accepted_total",
		Help: "JSON-RPC connections accepted and served, by listener address.",
	}, []string{"listener"})
	m.storeDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: namespace, Name: "store_operation_duration_seconds",
		Help:    "Time of the store operations requests cause, by operation.",
		Buckets: Buckets,
	}, []string{"operation"})
	m.storeInflight = prometheus.NewGauge(prometheus.GaugeOpts{
		Namespace: namespace, Name: "store_operations_inflight",
		Help: "Store operations under way now.",
	})
	m.storeQueued = prometheus.NewGauge(prometheus.GaugeOpts{
		Namespace: namespace, Name: "store_operations_queued",
		Help: "Requests waiting for admission to the store.",
	})
	m.busyRefusals = prometheus.NewCounter(prometheus.CounterOpts{
		Namespace: namespace, Name: "busy_refusals_total",
		Help: "Requests refused with -32053 (busy) because the store was saturated; they did nothing.",
	})
	m.logins = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Name: "logins_total",
		Help: "Logins by result: success, failure (wrong credentials, unknown account, suspended organization) or throttled.",
	}, []string{"result"})
	m.throttled = prometheus.NewCounter(prometheus.CounterOpts{
		Namespace: namespace, Name: "throttled_attempts_total",
		Help: "Attempts refused with -32029 by the login throttle (logins and password changes).",
	})
	for _, r := range []LoginResult{LoginSuccess, LoginFailure, LoginThrottled} {
		m.logins.WithLabelValues(string(r))
	}
	buildInfo := prometheus.NewGauge(prometheus.GaugeOpts{
		Namespace: namespace, Name: "build_info",
		Help:        "Always 1; its labels say which orgd runs, built with which Go.",
		ConstLabels: prometheus.Labels{"version": o.Version, "goversion": runtime.Version()},
	})
	buildInfo.Set(1)

	m.own = append([]prometheus.Collector{
		m.requests, m.requestDuration, m.connections, m.accepted,
		m.storeDuration, m.storeInflight, m.storeQueued, m.busyRefusals,
		m.logins, m.throttled, buildInfo,
	}, m.sourced()...)
	m.reg.MustRegister(m)
	if o.Started.IsZero() {
		o.Started = time.Now()
	}
	m.reg.MustRegister(collectors.NewGoCollector(), newProcessCollector(o.Started))
	return m
}

// Registry returns the registry that GET /metrics serves: orgd's families
// and the Go and process collectors.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Describe implements prometheus.Collector for orgd's own families (not
// the Go and process collectors).
func (m *Metrics) Describe(ch chan<- *prometheus.Desc) {
	for _, c := range m.own {
		c.Describe(ch)
	}
}

// Collect implements prometheus.Collector for orgd's own families.
func (m *Metrics) Collect(ch chan<- prometheus.Metric) {
	for _, c := range m.own {
		c.Collect(ch)
	}
}
