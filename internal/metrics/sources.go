package metrics

import "github.com/prometheus/client_golang/prometheus"

// Sources are figures that other parts of orgd keep anyway, read at each
// scrape rather than recorded as they change. A nil function reads as 0:
// orgd_ssh_sessions is 0 when orgd does not serve SSH.
type Sources struct {
	// Tenants is the number of organizations; TenantLimit is
	// --max-tenants (0: no limit).
	Tenants     func() int
	TenantLimit func() int
	// StoreUp reports whether the store's last probe succeeded.
	StoreUp func() bool
	// Subscribers is the number of live org.subscribe subscriptions;
	// DroppedSubscribers how many were ended since the start because
	// their subscriber fell behind.
	Subscribers        func() int
	DroppedSubscribers func() int64
	// SSHSessions is the number of SSH sessions open; SSHAuthFailures how
	// many SSH authentications failed since the start.
	SSHSessions     func() int
	SSHAuthFailures func() int64
}

// Observe makes the families that Sources feed read from s, replacing
// what an earlier call gave.
func (m *Metrics) Observe(s Sources) {
	if m == nil {
		return
	}
	m.sources.Store(&s)
}

// sourced returns the families read from the Sources at each scrape.
func (m *Metrics) sourced() []prometheus.Collector {
	read := func(f func(*Sources) float64) func() float64 {
		return func() float64 {
			if s := m.sources.Load(); s != nil {
				return f(s)
			}
			return 0
		}
	}
	gauge := func(name, help string, f func(*Sources) float64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: namespace, Name: name, Help: help}, read(f))
	}
	counter := func(name, help string, f func(*Sources) float64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Namespace: namespace, Name: name, Help: help}, read(f))
	}
	return []prometheus.Collector{
		gauge("tenants", "Organizations (tenants) orgd holds.", func(s *Sources) float64 { return num(s.Tenants) }),
		gauge("tenants_limit", "The most organizations orgd will hold (--max-tenants); 0 means no limit.",
			func(s *Sources) float64 { return num(s.TenantLimit) }),
		gauge("store_up", "1 when the store's last probe (every second) succeeded, else 0.", func(s *Sources) float64 {
			if s.StoreUp != nil && s.StoreUp() {
				return 1
			}
			return 0
		}),
		gauge("subscribers", "Live org.subscribe subscriptions.", func(s *Sources) float64 { return num(s.Subscribers) }),
		counter("subscribers_dropped_total", "Subscriptions ended because their subscriber fell more than 256 events behind.",
			func(s *Sources) float64 { return num64(s.DroppedSubscribers) }),
		gauge("ssh_sessions", "orgtui sessions open over SSH.", func(s *Sources) float64 { return num(s.SSHSessions) }),
		counter("ssh_auth_failures_total", "Failed SSH authentications: wrong passwords and other refusals, not the keys a client merely offered.",
			func(s *Sources) float64 { return num64(s.SSHAuthFailures) }),
	}
}

func num(f func() int) float64 {
	if f == nil {
		return 0
	}
	return float64(f())
}

func num64(f func() int64) float64 {
	if f == nil {
		return 0
	}
	return float64(f())
}
