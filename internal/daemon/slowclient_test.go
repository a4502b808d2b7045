package daemon_test

import (
	"errors"
	"fmt"
	"net"
	"os"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/orgd/orgd/internal/daemon"
	"github.com/orgd/orgd/internal/testenv"
	"github.com/orgd/orgd/rpc"
)

// liveHeap returns the bytes of live heap after a full collection. The
// daemon runs in the test's process, so this is its heap (and the test's).
func liveHeap() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// heapSampler records the largest live heap seen until stopped.
type heapSampler struct {
	mu   sync.Mutex
	peak uint64
	stop chan struct{}
	done chan struct{}
}

func sampleHeap(every time.Duration) *heapSampler {
	h := &heapSampler{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(h.done)
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			if n := liveHeap(); n > h.peak {
				h.mu.Lock()
				h.peak = n
				h.mu.Unlock()
			}
			select {
			case <-h.stop:
				return
			case <-tick.C:
			}
		}
	}()
	return h
}

// Stop ends the sampling and returns the peak.
func (h *heapSampler) Stop() uint64 {
	close(h.stop)
	<-h.done
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.peak
}

const mib = 1 << 20

func TestAClientThatNeverReadsCannotGrowOrgdsMemory(t *testing.T) {
	const (
		requests = 100_000
		// The replies of 100,000 requests come to about 20 MiB; what orgd
		// may hold for one connection is far less: socket buffers, and
		// the replies of the requests it serves at once.
		bound = 16 * mib
	)
	d := testenv.Start(t, testenv.Options{Configure: func(c *daemon.Config) {
		// Also the write timeout: how long a reply may wait for its
		// reader before orgd lets the connection go.
		c.RequestTimeout = 2 * time.Second
	}})
	// Warm up what every connection shares.
	warm := &rpc.Client{Addr: d.Addr}
	if _, err := warm.Health(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	warm.Close()
	base := liveHeap()
	sampler := sampleHeap(100 * time.Millisecond)

	nc, err := net.Dial("unix", d.Socket)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	// Requests go out in batches of 100 lines; the client never reads.
	var batch []byte
	for i := range 100 {
		batch = fmt.Appendf(batch, `{"jsonrpc":"2.0","id":%d,"method":"system.health"}`+"\n", i)
	}
	start := time.Now()
	sent := 0
	for sent < requests {
		_ = nc.SetWriteDeadline(time.Now().Add(30 * time.Second))
		if _, err = nc.Write(batch); err != nil {
			break
		}
		sent += 100
	}
	took := time.Since(start)
	peak := sampler.Stop()
	t.Logf("the client got %d request lines out in %s before %v; live heap %.1f MiB before, at most %.1f MiB during",
		sent, took.Round(time.Millisecond), err, float64(base)/mib, float64(peak)/mib)

	if err == nil {
		t.Errorf("orgd read all %d requests of a client that reads none of its replies", requests)
	} else if errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("orgd neither read on nor closed the connection within 30 s: %v", err)
	}
	if peak > base+bound {
		t.Errorf("live heap grew by %.1f MiB for one client that never reads, want under %d MiB", float64(peak-base)/mib, bound/mib)
	}
	waitFor(t, "orgd to let the connection go", func() bool { return d.Server().Conns() == 0 })
	if _, err := d.Client(t).Health(ctxT(t)); err != nil {
		t.Errorf("orgd after the client that never reads: %v", err)
	}
}
