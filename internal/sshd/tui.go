package sshd

import (
	"context"
	"errors"
	"io"

	tea "charm.land/bubbletea/v2"
	"charm.land/ssh"
	wishtea "charm.land/wish/v2/bubbletea"

	"github.com/orgd/orgd/internal/tui"
	"github.com/orgd/orgd/rpc"
)

// runTUI runs orgtui in sess, logged in with login, until the person quits
// or logs out, the session ends (the TUI says why), or ctx ends (orgd says
// why, in se). It returns the TUI's reason for ending, if it has one.
func (s *Server) runTUI(ctx context.Context, sess ssh.Session, se *session, login rpc.Session, winch <-chan ssh.Window) (string, error) {
	// The status bar names the SSH address the person connected to.
	client := s.client(peerOf(sess.RemoteAddr()), "ssh://"+sess.LocalAddr().String())
	defer client.Close()
	// wish's options give the program the session's terminal: its input
	// and output, $TERM and environment, window size and colour profile.
	// The input is then wrapped, to see each keystroke for the idle
	// timeout.
	opts := append(wishtea.MakeOptions(sess), tea.WithInput(typing{r: sess, se: se}))
	p := tui.NewProgram(ctx, tui.Options{
		Client:  client,
		Log:     s.log.With("account", se.account.Email, "remote", se.remote),
		Session: &tui.Session{Email: se.account.Email, Session: login},
		Hosted:  true,
	}, opts...)
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case w, ok := <-winch:
				if !ok {
					return
				}
				p.Send(tea.WindowSizeMsg{Width: w.Width, Height: w.Height})
			}
		}
	}()
	final, err := p.Run()
	switch {
	case errors.Is(err, tea.ErrProgramKilled) && !errors.Is(err, tea.ErrProgramPanic):
		return "", nil // ctx ended: orgd ended the session, and says why
	case err != nil:
		return "", err
	}
	m, _ := final.(tui.Model)
	return m.Ended(), nil
}

// typing is the session's input, noting each keystroke for the idle
// timeout.
type typing struct {
	r  io.Reader
	se *session
}

// Read reads the person's input.
func (t typing) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	if n > 0 {
		t.se.typed()
	}
	return n, err
}
