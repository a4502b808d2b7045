package bench

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Sample is one run of one measurement: how many operations finished per
// second, and the latency of each, at the median and the 99th percentile.
type Sample struct {
	Ops     int
	Elapsed time.Duration
	P50     time.Duration
	P99     time.Duration
	Max     time.Duration
}

// OpsPerSec is the throughput of the run.
func (s Sample) OpsPerSec() float64 {
	if s.Elapsed <= 0 {
		return 0
	}
	return float64(s.Ops) / s.Elapsed.Seconds()
}

// Figure is every run of one measurement. Its value is the median run; the
// spread is the lowest and the highest.
type Figure struct {
	Runs []Sample
}

// Add records one run.
func (f *Figure) Add(s Sample) { f.Runs = append(f.Runs, s) }

// OpsPerSec is the median throughput of the runs.
func (f Figure) OpsPerSec() float64 { return medianOf(f.Runs, Sample.OpsPerSec) }

// P50 is the median over the runs of each run's median latency.
func (f Figure) P50() time.Duration {
	return time.Duration(medianOf(f.Runs, func(s Sample) float64 { return float64(s.P50) }))
}

// P99 is the median over the runs of each run's 99th percentile.
func (f Figure) P99() time.Duration {
	return time.Duration(medianOf(f.Runs, func(s Sample) float64 { return float64(s.P99) }))
}

// OpsSpread returns the lowest and highest throughput of the runs.
func (f Figure) OpsSpread() (lo, hi float64) { return spreadOf(f.Runs, Sample.OpsPerSec) }

// P50Spread returns the lowest and highest median latency of the runs.
func (f Figure) P50Spread() (lo, hi time.Duration) {
	l, h := spreadOf(f.Runs, func(s Sample) float64 { return float64(s.P50) })
	return time.Duration(l), time.Duration(h)
}

// P99Spread returns the lowest and highest 99th percentile of the runs.
func (f Figure) P99Spread() (lo, hi time.Duration) {
	l, h := spreadOf(f.Runs, func(s Sample) float64 { return float64(s.P99) })
	return time.Duration(l), time.Duration(h)
}

func medianOf(runs []Sample, v func(Sample) float64) float64 {
	if len(runs) == 0 {
		return math.NaN()
	}
	xs := make([]float64, len(runs))
	for i, r := range runs {
		xs[i] = v(r)
	}
	return median(xs)
}

func spreadOf(runs []Sample, v func(Sample) float64) (lo, hi float64) {
	if len(runs) == 0 {
		return math.NaN(), math.NaN()
	}
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, r := range runs {
		lo, hi = min(lo, v(r)), max(hi, v(r))
	}
	return lo, hi
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

func medianDuration(ds []time.Duration) time.Duration {
	xs := make([]float64, len(ds))
	for i, d := range ds {
		xs[i] = float64(d)
	}
	return time.Duration(median(xs))
}

// percentile returns the p-th percentile (0–100) of sorted latencies, by
// the nearest-rank method.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	return sorted[min(max(rank, 1), len(sorted))-1]
}

// summarize turns the latencies of a run into a Sample.
func summarize(lat []time.Duration, elapsed time.Duration) Sample {
	slices.Sort(lat)
	s := Sample{Ops: len(lat), Elapsed: elapsed}
	if len(lat) > 0 {
		s.P50, s.P99, s.Max = percentile(lat, 50), percentile(lat, 99), lat[len(lat)-1]
	}
	return s
}

// op is one operation of one worker; it returns an error when the
// operation failed, which stops the run.
type op func(ctx context.Context, worker, i int) error

// forDuration runs op in a closed loop on each of workers for the window
// (each worker starts its next operation when the last one finished) and
// returns the run: the operations that finished within the window.
func forDuration(ctx context.Context, workers int, window time.Duration, fn op) (Sample, error) {
	lats := make([][]time.Duration, workers)
	errs := make([]error, workers)
	start := time.Now()
	deadline := start.Add(window)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			lat := make([]time.Duration, 0, 4096)
			for i := 0; ; i++ {
				t0 := time.Now()
				if !t0.Before(deadline) || ctx.Err() != nil {
					break
				}
				if err := fn(ctx, w, i); err != nil {
					errs[w] = err
					break
				}
				t1 := time.Now()
				if t1.After(deadline) {
					break // finished outside the window: not counted
				}
				lat = append(lat, t1.Sub(t0))
			}
			lats[w] = lat
		})
	}
	wg.Wait()
	if err := firstError(errs); err != nil {
		return Sample{}, err
	}
	return summarize(slices.Concat(lats...), window), nil
}

// fixedWork shares n operations among workers, each taking the next one
// when its last one finished, and returns the run: n operations over the
// time from the start to the last one's end. It suits slow operations
// (bcrypt), where a window would cut work in progress off at its end.
func fixedWork(ctx context.Context, workers, n int, fn op) (Sample, error) {
	lats := make([][]time.Duration, workers)
	errs := make([]error, workers)
	var next atomic.Int64
	start := time.Now()
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				t0 := time.Now()
				if err := fn(ctx, w, i); err != nil {
					errs[w] = err
					return
				}
				lats[w] = append(lats[w], time.Since(t0))
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	if err := firstError(errs); err != nil {
		return Sample{}, err
	}
	if err := ctx.Err(); err != nil {
		return Sample{}, err
	}
	return summarize(slices.Concat(lats...), elapsed), nil
}

func firstError(errs []error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// fmtDur prints a latency with three significant digits.
func fmtDur(d time.Duration) string {
	switch {
	case d <= 0:
		return "0"
	case d < time.Millisecond:
		return fmt.Sprintf("%.0f µs", float64(d)/float64(time.Microsecond))
	case d < 10*time.Millisecond:
		return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond))
	case d < 100*time.Millisecond:
		return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
	case d < 10*time.Second:
		return fmt.Sprintf("%.0f ms", float64(d)/float64(time.Millisecond))
	}
	return fmt.Sprintf("%.1f s", d.Seconds())
}

// fmtOps prints a throughput.
func fmtOps(v float64) string {
	switch {
	case math.IsNaN(v):
		return "—"
	case v >= 100:
		return count(int(math.Round(v))) + "/s"
	case v >= 10:
		return fmt.Sprintf("%.1f/s", v)
	}
	return fmt.Sprintf("%.2f/s", v)
}

// fmtFigure prints a figure's median throughput and latencies.
func fmtFigure(f Figure) string {
	return fmt.Sprintf("%s · p50 %s · p99 %s", fmtOps(f.OpsPerSec()), fmtDur(f.P50()), fmtDur(f.P99()))
}

// fmtOpsSpread prints the lowest and highest throughput of a figure's runs.
func fmtOpsSpread(f Figure) string {
	lo, hi := f.OpsSpread()
	return fmt.Sprintf("%s–%s", fmtOps(lo), fmtOps(hi))
}

func fmtRatio(r float64) string {
	if math.IsNaN(r) || math.IsInf(r, 0) {
		return "—"
	}
	return fmt.Sprintf("%.2f×", r)
}

// count prints n with thousands separators.
func count(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
