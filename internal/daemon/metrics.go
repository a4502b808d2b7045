package daemon

import (
	"context"
	"errors"
	"fmt"

	"github.com/orgd/orgd/internal/metrics"
	"github.com/orgd/orgd/internal/server"
)

// startMetrics serves GET /metrics on cfg.MetricsListen (SPEC §10), once
// everything it reads from is in place. The address follows the rules of
// --listen: a Unix socket gets mode 0660 and a stale one is replaced, and
// plain TCP (metrics are always plain HTTP) is refused on an address that
// is not loopback unless --insecure-tcp is given. orgd opens it itself,
// also under socket activation.
func (d *Daemon) startMetrics(ctx context.Context) error {
	svc, events := d.svc, d.store.Events
	src := metrics.Sources{
		Tenants:            func() int { n, _ := svc.Tenants(); return n },
		TenantLimit:        func() int { _, limit := svc.Tenants(); return limit },
		StoreUp:            func() bool { return svc.StoreHealth().OK },
		Subscribers:        events.Subscribers,
		DroppedSubscribers: events.Dropped,
	}
	if d.ssh != nil {
		src.SSHSessions, src.SSHAuthFailures = d.ssh.Sessions, d.ssh.AuthFailures
	}
	d.metrics.Observe(src)

	ln, err := server.Listen(ctx, d.cfg.MetricsListen, server.ListenOptions{InsecureTCP: d.cfg.InsecureTCP})
	if err != nil {
		return fmt.Errorf("--metrics-listen: %w", err)
	}
	d.metricsListener = ln
	d.metricsAddr = listenerAddr(ln)
	d.metricsServer = metrics.NewServer(d.metrics, d.log.With("component", "metrics"))
	go func() {
		if err := d.metricsServer.Serve(ln); !errors.Is(err, metrics.ErrServerClosed) {
			d.serveErr <- err
		}
	}()
	d.log.Info("serving metrics", "listen", d.metricsAddr, "path", "/metrics")
	return nil
}

// stopMetrics stops serving /metrics, letting a scrape under way finish
// within the request timeout.
func (d *Daemon) stopMetrics(ctx context.Context) error {
	if d.metricsServer == nil {
		if d.metricsListener != nil {
			d.metricsListener.Close()
		}
		return nil
	}
	sctx, cancel := context.WithTimeout(ctx, d.cfg.RequestTimeout)
	defer cancel()
	return d.metricsServer.Shutdown(sctx)
}

// MetricsAddr returns the address GET /metrics is served on
// ("tcp://127.0.0.1:9464"), or "" without --metrics-listen.
func (d *Daemon) MetricsAddr() string { return d.metricsAddr }

// Metrics returns the daemon's metrics, or nil without --metrics-listen.
func (d *Daemon) Metrics() *metrics.Metrics { return d.metrics }
