package remote_test

import (
	"strings"
	"testing"

	"github.com/orgd/orgd/internal/tui/remote"
	"github.com/orgd/orgd/rpc"
)

func TestDescribeSaysWhatHappened(t *testing.T) {
	for _, tt := range []struct {
		name  string
		err   error
		wants []string
	}{
		{"busy: nothing happened, and when to retry", &rpc.Error{Code: rpc.CodeBusy, Message: "busy", Data: &rpc.ErrorData{RetryAfterMS: 1500}},
			[]string{"busy", "nothing was changed", "1.5 s"}},
		{"busy without a hint still says nothing happened", &rpc.Error{Code: rpc.CodeBusy, Message: "busy"},
			[]string{"nothing was changed", "a moment"}},
		{"an unknown outcome may have happened, never nothing", &rpc.Error{Code: rpc.CodeOutcomeUnknown, Message: "x", Data: &rpc.ErrorData{State: "renaming"}},
			[]string{"may have happened", "refresh"}},
		{"an unreachable store changed nothing", &rpc.Error{Code: rpc.CodeStoreUnavailable, Message: "x"},
			[]string{"cannot be reached", "nothing was changed"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := remote.Describe(tt.err)
			for _, w := range tt.wants {
				if !strings.Contains(got, w) {
					t.Errorf("Describe = %q, want it to say %q", got, w)
				}
			}
			if rpc.ErrorCode(tt.err) == rpc.CodeOutcomeUnknown && strings.Contains(got, "nothing") {
				t.Errorf("Describe = %q says nothing happened", got)
			}
		})
	}
}
