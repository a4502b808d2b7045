package server

import (
	"net"
	"time"

	"github.com/orgd/orgd/internal/metrics"
	"github.com/orgd/orgd/rpc"
)

// recorders are the server's metric recorders, resolved once in New so
// that a request costs no label lookup. Every field is nil without
// metrics, and records nothing.
type recorders struct {
	m *metrics.Metrics
	// other records requests for methods orgd does not serve, and lines
	// that are no request: a method name the client made up never
	// becomes a label.
	other *metrics.Method
	// inProcess records the connections of ServeConn (SSH sessions).
	inProcess *metrics.Listener
}

// newRecorders gives each route in methods the recorder of its requests.
func newRecorders(m *metrics.Metrics, methods map[string]*route) recorders {
	for name, r := range methods {
		r.stats = m.Method(name)
	}
	return recorders{m: m, other: m.Method(metrics.Other), inProcess: m.Listener("in-process")}
}

// done records a request answered with code (0: a result) after elapsed,
// with stats, the recorder of its method. Besides the requests by method
// and code, it counts logins by result, throttled attempts and busy
// refusals, which are all answers of the method table: the handlers
// record nothing themselves.
func (rec recorders) done(method string, stats *metrics.Method, code int64, elapsed time.Duration) {
	stats.Done(code, elapsed)
	switch code {
	case rpc.CodeTooManyAttempts:
		rec.m.Throttled()
	case rpc.CodeBusy:
		rec.m.BusyRefused()
	}
	if method == rpc.MethodAuthLogin {
		switch code {
		case 0:
			rec.m.Login(metrics.LoginSuccess)
		case rpc.CodeUnauthenticated, rpc.CodeSuspended:
			rec.m.Login(metrics.LoginFailure)
		case rpc.CodeTooManyAttempts:
			rec.m.Login(metrics.LoginThrottled)
		}
		// Anything else (missing params, the store down, a timeout)
		// never reached the credentials: orgd_requests_total shows it.
	}
}

// listenerName is how connections name the listener they came on, in
// metrics: its address as --listen takes it.
func listenerName(a net.Addr) string {
	if a.Network() == "unix" {
		return "unix://" + a.String()
	}
	return "tcp://" + a.String()
}
