package metrics

import (
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Other is the method label of requests for a method orgd does not serve,
// and of lines that are no request at all: method names come from the
// client, and only the known ones become labels.
const Other = "other"

// codeOK is the code label of a request answered with a result.
const codeOK = "ok"

// Method records the requests of one JSON-RPC method. Resolve it once,
// when the method table is built: recording a result then costs two
// atomic additions and a bucket search. A nil *Method records nothing.
type Method struct {
	name     string
	requests *prometheus.CounterVec
	ok       prometheus.Counter
	duration prometheus.Observer
	// errors caches the counter of each error code seen (int64 →
	// prometheus.Counter).
	errors sync.Map
}

// Method returns the recorder of the requests of method name, which must
// be one the server serves, or Other.
func (m *Metrics) Method(name string) *Method {
	if m == nil {
		return nil
	}
	return &Method{
		name:     name,
		requests: m.requests,
		ok:       m.requests.WithLabelValues(name, codeOK),
		duration: m.requestDuration.WithLabelValues(name),
	}
}

// Done records a request answered after elapsed: with a result when code
// is 0, else with the JSON-RPC error code.
func (r *Method) Done(code int64, elapsed time.Duration) {
	if r == nil {
		return
	}
	r.duration.Observe(elapsed.Seconds())
	r.Count(code)
}

// Count records a request answered with code (0: a result) whose time was
// not measured: a line refused before it became a request.
func (r *Method) Count(code int64) {
	if r == nil {
		return
	}
	if code == 0 {
		r.ok.Inc()
		return
	}
	c, ok := r.errors.Load(code)
	if !ok {
		c, _ = r.errors.LoadOrStore(code, r.requests.WithLabelValues(r.name, strconv.FormatInt(code, 10)))
	}
	c.(prometheus.Counter).Inc()
}

// Listener records the connections of one listener. A nil *Listener
// records nothing.
type Listener struct {
	open     prometheus.Gauge
	accepted prometheus.Counter
}

// Listener returns the recorder of the connections of the listener on
// address addr ("unix:///run/orgd/orgd.sock", "tcp://127.0.0.1:7443"), or
// of "in-process" ones.
func (m *Metrics) Listener(addr string) *Listener {
	if m == nil {
		return nil
	}
	return &Listener{open: m.connections.WithLabelValues(addr), accepted: m.accepted.WithLabelValues(addr)}
}

// Opened records a connection accepted and served.
func (l *Listener) Opened() {
	if l == nil {
		return
	}
	l.accepted.Inc()
	l.open.Inc()
}

// Closed records the end of a connection that Opened recorded.
func (l *Listener) Closed() {
	if l == nil {
		return
	}
	l.open.Dec()
}

// LoginResult is the outcome of a login.
type LoginResult string

// The results of logins.
const (
	// LoginSuccess: a session was issued.
	LoginSuccess LoginResult = "success"
	// LoginFailure: wrong credentials, an unknown account, or a member of a
	// suspended organization.
	LoginFailure LoginResult = "failure"
	// LoginThrottled: refused by the login throttle before any check.
	LoginThrottled LoginResult = "throttled"
)

// Login records a login's result.
func (m *Metrics) Login(r LoginResult) {
	if m == nil {
		return
	}
	m.logins.WithLabelValues(string(r)).Inc()
}

// Throttled records an attempt the login throttle refused.
func (m *Metrics) Throttled() {
	if m == nil {
		return
	}
	m.throttled.Inc()
}

// BusyRefused records a request refused because the store was saturated
// (-32053).
func (m *Metrics) BusyRefused() {
	if m == nil {
		return
	}
	m.busyRefusals.Inc()
}
