package metrics

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Handler serves GET /metrics in the Prometheus text format (or
// OpenMetrics and protobuf, when the scraper asks) from m's registry, and a
// line pointing there at GET /. Anything else is 404.
func (m *Metrics) Handler(log *slog.Logger) http.Handler {
	if log == nil {
		log = slog.Default()
	}
	h := promhttp.InstrumentMetricHandler(m.reg, promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{
		ErrorLog: promLogger{log},
		// A collector that fails leaves its families out; the rest are
		// still served, as Prometheus prefers to a failed scrape.
		ErrorHandling:       promhttp.ContinueOnError,
		Registry:            m.reg,
		MaxRequestsInFlight: 4,
		Timeout:             10 * time.Second,
	}))
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", h)
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "orgd: Prometheus metrics are at /metrics")
	})
	return mux
}

// promLogger passes promhttp's errors on to slog.
type promLogger struct{ log *slog.Logger }

func (l promLogger) Println(v ...any) { l.log.Warn("metrics: " + fmt.Sprint(v...)) }

// Server serves GET /metrics over HTTP on listeners that the caller opens
// (a loopback TCP port or a Unix socket).
type Server struct {
	http *http.Server
}

// NewServer returns a server of m's handler. Every request has 30 s, as a
// scrape that slow is long abandoned by Prometheus.
func NewServer(m *Metrics, log *slog.Logger) *Server {
	if log == nil {
		log = slog.Default()
	}
	return &Server{http: &http.Server{
		Handler:           m.Handler(log),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelDebug),
	}}
}

// ErrServerClosed is what Serve returns after Shutdown.
var ErrServerClosed = errors.New("metrics: server closed")

// Serve serves on ln until Shutdown, and then returns ErrServerClosed.
func (s *Server) Serve(ln net.Listener) error {
	err := s.http.Serve(ln)
	if errors.Is(err, http.ErrServerClosed) {
		return ErrServerClosed
	}
	return fmt.Errorf("metrics: %w", err)
}

// Shutdown stops accepting and waits, until ctx ends, for scrapes under way.
func (s *Server) Shutdown(ctx context.Context) error {
	if err := s.http.Shutdown(ctx); err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	return nil
}
