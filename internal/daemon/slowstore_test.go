package daemon_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/orgd/orgd/internal/daemon"
	"github.com/orgd/orgd/internal/embedded"
	"github.com/orgd/orgd/internal/mongo"
	"github.com/orgd/orgd/internal/testenv"
	"github.com/orgd/orgd/rpc"
)

// slowProxy stands between orgd and its store and holds every message
// from orgd for delay before passing it on: a store that answers, slowly.
type slowProxy struct {
	ln     net.Listener
	target string
	delay  atomic.Int64
}

// startSlowProxy proxies the store of uri (a Unix socket) and returns
// the proxy and the URI to give orgd instead.
func startSlowProxy(t *testing.T, uri string) (*slowProxy, string) {
	t.Helper()
	// mongodb://%2Fpath%2Fto%2Fmongo.sock/…: the host is the socket's
	// path, escaped (which url.Parse refuses in a host).
	rest, ok := strings.CutPrefix(uri, "mongodb://")
	host, tail, _ := strings.Cut(rest, "/")
	target, err := url.PathUnescape(host)
	if !ok || err != nil || !strings.HasSuffix(target, ".sock") {
		t.Fatalf("the store's URI %q names no Unix socket", uri)
	}
	sock := filepath.Join(testenv.ShortDir(t), "slow.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	p := &slowProxy{ln: ln, target: target}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Go(func() {
		for {
			in, err := ln.Accept()
			if err != nil {
				return
			}
			out, err := net.Dial("unix", p.target)
			if err != nil {
				in.Close()
				continue
			}
			wg.Go(func() { p.pipe(out, in, true); out.Close(); in.Close() })
			wg.Go(func() { p.pipe(in, out, false); in.Close(); out.Close() })
		}
	})
	return p, "mongodb://" + url.PathEscape(sock) + "/" + tail
}

// pipe copies from src to dst, holding each read for the delay when slow.
func (p *slowProxy) pipe(dst io.Writer, src io.Reader, slow bool) {
	buf := make([]byte, 64<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if d := time.Duration(p.delay.Load()); slow && d > 0 {
				time.Sleep(d)
			}
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// TestASlowStoreIsAnsweredBusyOrUnknownNeverUnavailable: with a store
// that answers its probe but too slowly for the requests, orgd refuses
// what it cannot admit with -32053 (and a hint), answers -32052 (with the
// organization's state) for a change cut short after it was sent, never
// -32050; system.health says busy while the store says ok; once the store
// is quick again, orgd finishes or rolls back what was cut short.
func TestASlowStoreIsAnsweredBusyOrUnknownNeverUnavailable(t *testing.T) {
	if os.Getenv(testenv.MongoURIEnv) != "" {
		t.Skip("this test slows its own store down: it runs on the embedded engine only")
	}
	eng, err := embedded.Start(ctxT(t), testenv.ShortDir(t), embedded.Options{Log: testenv.Logger(nil)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close(context.Background()) })
	proxy, uri := startSlowProxy(t, eng.URI())
	d := testenv.Start(t, testenv.Options{Configure: func(c *daemon.Config) {
		c.MongoURI = uri
		c.StoreTimeout = 5 * time.Second // the probe waits out the slowness
		c.RequestTimeout = 2 * time.Second
		c.MaxStoreInflight = 2
		c.StoreQueueTimeout = 200 * time.Millisecond
	}})
	c := d.Client(t)
	op := d.Operator(t)
	create(t, c, op, "Acme")

	proxy.delay.Store(int64(1500 * time.Millisecond))
	// The next probe takes the delay, and still succeeds.
	time.Sleep(2 * time.Second)

	codes := make([]int64, 12)
	errs := make([]error, len(codes))
	var wg sync.WaitGroup
	for i := range codes {
		cl := &rpc.Client{Addr: d.Addr}
		defer cl.Close()
		wg.Go(func() {
			var err error
			switch i % 3 {
			case 0:
				name := fmt.Sprintf("Slow %d", i)
				_, err = cl.CreateOrg(ctxT(t), rpc.OrgCreateParams{Token: op, Name: name, AdminEmail: adminEmail(name), AdminPassword: adminPassword})
			case 1:
				_, err = cl.InsertDocuments(ctxT(t), rpc.DataInsertParams{Token: op, Org: "Acme", Documents: []json.RawMessage{json.RawMessage(`{"n":1}`)}})
			default:
				name := fmt.Sprintf("Acme %d", i)
				_, err = cl.UpdateOrg(ctxT(t), rpc.OrgUpdateParams{Token: op, Name: "Acme", NewName: &name})
			}
			codes[i], errs[i] = rpc.ErrorCode(err), err
		})
	}
	h, herr := c.Health(ctxT(t))
	wg.Wait()
	seen := map[int64]int{}
	for i, code := range codes {
		seen[code]++
		switch code {
		case rpc.CodeBusy:
			if e := errs[i].(*rpc.Error); e.Data == nil || e.Data.RetryAfterMS <= 0 {
				t.Errorf("-32053 without retry_after_ms: %v", e)
			}
		case rpc.CodeOutcomeUnknown:
			e := errs[i].(*rpc.Error)
			if e.Data == nil || e.Data.State == "" || e.Data.Existing == "" {
				t.Errorf("-32052 without the organization's state: %+v", e.Data)
			}
			t.Logf("-32052: %s", e.Message)
		case 0, rpc.CodeConflict:
			// Done in time, or a rename that met another under way.
		default:
			t.Errorf("request %d: %v", i, errs[i])
		}
	}
	t.Logf("answers by code: %v", seen)
	if seen[rpc.CodeBusy] == 0 || seen[rpc.CodeOutcomeUnknown] == 0 {
		t.Errorf("want both -32053 and -32052 from a slow store; got %v", seen)
	}
	if herr != nil || !h.Store.OK {
		t.Errorf("system.health during the slowness: %+v, %v", h, herr)
	}
	waitFor(t, "system.health to say busy", func() bool {
		h, err := c.Health(ctxT(t))
		return err == nil && h.Status == "busy" && h.Store.OK
	})

	proxy.delay.Store(0)
	var problems []mongo.Problem
	waitFor(t, "orgd to finish or roll back every change cut short", func() bool {
		var err error
		problems, err = d.Store().Check(ctxT(t))
		if err != nil || len(problems) > 0 {
			t.Logf("check: %v %v", problems, err)
		}
		return err == nil && len(problems) == 0
	})
}
