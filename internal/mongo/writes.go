package mongo

import (
	"context"
	"strings"

	"go.mongodb.org/mongo-driver/v2/event"

	"github.com/orgd/orgd/internal/org"
)

// writeCommands are the commands that change the store.
var writeCommands = map[string]bool{
	"insert": true, "update": true, "delete": true, "findAndModify": true, "bulkWrite": true,
	"create": true, "drop": true, "renameCollection": true, "createIndexes": true, "dropIndexes": true, "collMod": true,
}

// unsent is how the driver says that a command never reached the store:
// writing it to the connection failed.
const unsent = "unable to write wire message"

// noteWrites returns a command monitor that tells the request being served
// (org.NoteWrite, from the command's context) when a write reached the
// store: it succeeded, or it failed after it was sent (a timeout waiting
// for the answer, a connection lost mid-answer), when it may have been
// applied. Every event is passed on to next, if any.
func noteWrites(next *event.CommandMonitor) *event.CommandMonitor {
	m := &event.CommandMonitor{
		Succeeded: func(ctx context.Context, e *event.CommandSucceededEvent) {
			if writeCommands[e.CommandName] {
				org.NoteWrite(ctx)
			}
			if next != nil && next.Succeeded != nil {
				next.Succeeded(ctx, e)
			}
		},
		Failed: func(ctx context.Context, e *event.CommandFailedEvent) {
			if writeCommands[e.CommandName] && (e.Failure == nil || !strings.Contains(e.Failure.Error(), unsent)) {
				org.NoteWrite(ctx)
			}
			if next != nil && next.Failed != nil {
				next.Failed(ctx, e)
			}
		},
	}
	if next != nil {
		m.Started = next.Started
	}
	return m
}
