package metrics_test

import (
	"testing"
	"time"

	"github.com/orgd/orgd/internal/metrics"
)

// BenchmarkRecordARequest is what metrics add to a request: reading the
// clock twice and recording the answer.
func BenchmarkRecordARequest(b *testing.B) {
	r := metrics.New(metrics.Options{}).Method("org.get")
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			start := time.Now()
			r.Done(0, time.Since(start))
		}
	})
}
