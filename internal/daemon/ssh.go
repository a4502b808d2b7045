package daemon

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/orgd/orgd/internal/metrics"
	"github.com/orgd/orgd/internal/org"
	"github.com/orgd/orgd/internal/sshd"
	"github.com/orgd/orgd/rpc"
)

// startSSH serves orgtui over SSH on cfg.SSHListen (SPEC §9), each
// session on an in-process connection to the JSON-RPC server.
func (d *Daemon) startSSH(ctx context.Context) error {
	key, err := sshd.LoadOrCreateHostKey(d.cfg.SSHHostKey(), d.cfg.SSHHostKeyFile == "")
	if err != nil {
		return err
	}
	connect := func(peer string) net.Conn {
		client, server := net.Pipe()
		d.srv.ServeConn(server, org.Peer{Key: peer})
		return client
	}
	d.ssh, err = sshd.New(sshd.Config{
		HostKey:          key,
		MaxSessions:      d.cfg.SSHMaxSessions,
		IdleTimeout:      d.cfg.SSHIdleTimeout,
		HandshakeTimeout: d.cfg.SSHHandshakeTimeout,
		CheckInterval:    d.cfg.RefreshInterval / 2,
		Version:          d.cfg.Version,
		Logger:           d.log.With("component", "ssh"),
	}, sshAccounts{svc: d.svc, metrics: d.metrics}, connect)
	if err != nil {
		return err
	}
	for _, addr := range d.cfg.SSHListen {
		a, err := rpc.ParseAddr(addr)
		if err != nil {
			return fmt.Errorf("--ssh-listen: %w", err)
		}
		var lc net.ListenConfig
		ln, err := lc.Listen(ctx, "tcp", a.Address)
		if err != nil {
			return fmt.Errorf("--ssh-listen %s: %w", addr, err)
		}
		d.sshListeners = append(d.sshListeners, ln)
		d.sshAddrs = append(d.sshAddrs, "tcp://"+ln.Addr().String())
	}
	for _, ln := range d.sshListeners {
		go func() {
			if err := d.ssh.Serve(ln); !errors.Is(err, sshd.ErrServerClosed) {
				d.serveErr <- fmt.Errorf("ssh: %w", err)
			}
		}()
	}
	d.log.Info("serving orgtui over SSH", "listen", d.sshAddrs, "host_key", sshd.Fingerprint(key), "host_key_file", d.cfg.SSHHostKey())
	return nil
}

// SSHAddrs returns the addresses orgtui is served on over SSH.
func (d *Daemon) SSHAddrs() []string { return d.sshAddrs }

// sshAccounts answers the SSH server's questions about accounts from the
// service: the same directory, tokens and rules as the JSON-RPC server's.
// A password login is auth.login itself, which the JSON-RPC server counts;
// a key login is counted here.
type sshAccounts struct {
	svc     *org.Service
	metrics *metrics.Metrics
}

func (a sshAccounts) KeyCanLogIn(fingerprint string) bool {
	_, ok := a.svc.KeyHolder(fingerprint)
	return ok
}

func (a sshAccounts) KeyLogin(ctx context.Context, fingerprint string) (rpc.Session, sshd.Account, error) {
	sess, acct, err := a.svc.LoginKey(ctx, fingerprint)
	switch code := org.ErrorCode(err); {
	case err == nil:
		a.metrics.Login(metrics.LoginSuccess)
	case code == org.EUNAUTHENTICATED || code == org.ESUSPENDED:
		a.metrics.Login(metrics.LoginFailure)
	}
	if err != nil {
		return rpc.Session{}, sshd.Account{}, err
	}
	login := rpc.Session{Token: sess.Token, TokenType: "Bearer", ExpiresAt: sess.ExpiresAt, Role: string(sess.Role)}
	if sess.OrgID != "" {
		login.Org = &rpc.OrgRef{ID: sess.OrgID, Name: sess.OrgName}
	}
	return login, sshd.Account{ID: acct.ID, Email: acct.Email, Role: string(acct.Role), OrgID: acct.OrgID, OrgName: sess.OrgName}, nil
}

func (a sshAccounts) Identify(token string) (sshd.Account, error) {
	p, err := a.svc.Authenticate(token)
	if err != nil {
		return sshd.Account{}, err
	}
	return sshd.Account{ID: p.AccountID, Email: p.Email, Role: string(p.Role), OrgID: p.OrgID, OrgName: a.svc.OrgName(p.OrgID)}, nil
}

func (a sshAccounts) Check(token, fingerprint string) string {
	p, err := a.svc.Authenticate(token)
	var oe *org.Error
	switch {
	case errors.As(err, &oe) && oe.Code == org.ESUSPENDED:
		return "your organization was suspended; the session ended"
	case err != nil:
		return "your login was revoked (password changed, account removed or logged out everywhere); log in again"
	case fingerprint != "" && !a.svc.KeyOf(fingerprint, p.AccountID):
		return "the SSH key this session logged in with was removed; the session ended"
	}
	return ""
}

func (a sshAccounts) Audit(ctx context.Context, acct sshd.Account, e sshd.Event) {
	host, _, err := net.SplitHostPort(e.Remote)
	if err != nil {
		host = e.Remote
	}
	p := &org.Principal{AccountID: acct.ID, Email: acct.Email, Role: org.Role(acct.Role), OrgID: acct.OrgID, Peer: "ip:" + host}
	detail := []string{"password"}
	if e.Fingerprint != "" {
		detail = []string{"key " + e.Fingerprint}
	}
	if e.Action == sshd.ActionSessionEnd {
		detail = append(detail, "after "+e.Duration.String(), e.Reason)
	}
	a.svc.RecordSession(ctx, p, e.Action, strings.Join(detail, ", "))
}
