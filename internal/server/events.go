package server

import (
	"context"
	"sync"

	"github.com/sourcegraph/jsonrpc2"

	"github.com/orgd/orgd/internal/org"
	"github.com/orgd/orgd/rpc"
)

// subscription forwards a connection's org events as org.event
// notifications.
type subscription struct {
	sub  *org.Subscription
	once sync.Once
}

func (s *subscription) close() { s.once.Do(s.sub.Close) }

func (s *Server) orgSubscribe(ctx context.Context, c *call, p *rpc.TokenParams) (rpc.Subscribed, error) {
	who, err := s.authenticate(c, p.Token)
	if err != nil {
		return rpc.Subscribed{}, err
	}
	sub := &subscription{sub: s.svc.Subscribe(who)}
	c.conn.setSubscription(sub)
	token := p.Token
	// Events queue in the subscription until the reply is out, so the
	// subscriber sees the reply first.
	c.after = append(c.after, func() { go s.forward(c.conn, c.rpc, sub, token) })
	return rpc.Subscribed{Subscribed: true}, nil
}

// forward sends the subscription's events until it ends, the connection
// closes, or the token stops being valid (expired or revoked).
func (s *Server) forward(c *conn, jc *jsonrpc2.Conn, sub *subscription, token string) {
	defer sub.close()
	done := jc.DisconnectNotify()
	for {
		select {
		case <-done:
			return
		case ev, ok := <-sub.sub.C:
			if !ok {
				if sub.sub.Overflowed() {
					s.log.Warn("subscriber fell behind; subscription ended", "peer", c.peer.Key)
				}
				return
			}
			_, err := s.svc.Authenticate(token)
			// A member whose organization was just suspended still gets
			// the event that says so, and nothing after it.
			suspended := org.ErrorCode(err) == org.ESUSPENDED && ev.Organization.State == org.StateSuspended
			if err != nil && !suspended {
				s.log.Debug("subscription ended: token no longer valid", "peer", c.peer.Key)
				return
			}
			msg := rpc.OrgEvent{Type: string(ev.Type), Organization: organization(ev.Organization)}
			if err := jc.Notify(context.Background(), rpc.NotificationOrgEvent, msg); err != nil || suspended {
				return
			}
		}
	}
}
