package rpc

import (
	"bufio"
	"context"
	"encoding/json"
	"net"
	"strings"
	"testing"
	"time"
)

func TestSplitResponseTakesOnlyOrgdsShape(t *testing.T) {
	tests := []struct {
		line   string
		id     uint64
		result string
		ok     bool
	}{
		{`{"id":7,"result":{"documents":[{"a":"},\"jsonrpc\":\"2.0\"}"}]},"jsonrpc":"2.0"}`, 7, `{"documents":[{"a":"},\"jsonrpc\":\"2.0\"}"}]}`, true},
		{`{"id":18446744073709551615,"result":null,"jsonrpc":"2.0"}`, 18446744073709551615, `null`, true},
		{`{"id":1,"error":{"code":-32004,"message":"x"},"jsonrpc":"2.0"}`, 0, "", false},
		{`{"jsonrpc":"2.0","method":"org.event","params":{}}`, 0, "", false},
		{`{"id":"x","result":1,"jsonrpc":"2.0"}`, 0, "", false},
		{`{"id":1,"result":1}`, 0, "", false},
		{`{"id":1,"result":,"jsonrpc":"2.0"}`, 0, "", false},
	}
	for _, tt := range tests {
		id, result, ok := splitResponse([]byte(tt.line))
		if ok != tt.ok || id != tt.id || string(result) != tt.result {
			t.Errorf("splitResponse(%s) = %d, %s, %v; want %d, %s, %v", tt.line, id, result, ok, tt.id, tt.result, tt.ok)
		}
	}
}

// TestCallsCarryParamsAndResultsAsWritten runs a Client against a fake
// server on a pipe: params reach the wire with their keys in order, and a
// result comes back whole, while errors and notifications still go through
// the library.
func TestCallsCarryParamsAndResultsAsWritten(t *testing.T) {
	server, client := net.Pipe()
	defer server.Close()
	c := &Client{}
	stream := newLineStream(client)
	c.stream = stream
	c.conn = newConn(c, stream)
	defer c.Close()
	events, err := func() (<-chan OrgEvent, error) {
		go func() {
			r := bufio.NewReader(server)
			// The subscription.
			line, _ := r.ReadString('\n')
			var req struct {
				ID uint64 `json:"id"`
			}
			_ = json.Unmarshal([]byte(line), &req)
			_, _ = server.Write([]byte(`{"id":` + jsonNum(req.ID) + `,"result":{"subscribed":true},"jsonrpc":"2.0"}` + "\n"))
			_, _ = server.Write([]byte(`{"jsonrpc":"2.0","method":"org.event","params":{"type":"created","organization":{"name":"Acme"}}}` + "\n"))
			// A call whose params must arrive as written.
			line, _ = r.ReadString('\n')
			_ = json.Unmarshal([]byte(line), &req)
			if !strings.Contains(line, `"params":{"z":1,"a":[3,1]}`) {
				_, _ = server.Write([]byte(`{"id":` + jsonNum(req.ID) + `,"error":{"code":-32602,"message":"params reordered: ` + strings.ReplaceAll(line, `"`, `'`) + `"},"jsonrpc":"2.0"}` + "\n"))
			} else {
				_, _ = server.Write([]byte(`{"id":` + jsonNum(req.ID) + `,"result":{"b":"<&>","a":1},"jsonrpc":"2.0"}` + "\n"))
			}
			// A call that fails.
			line, _ = r.ReadString('\n')
			_ = json.Unmarshal([]byte(line), &req)
			_, _ = server.Write([]byte(`{"id":` + jsonNum(req.ID) + `,"error":{"code":-32004,"message":"no such thing","data":{"field":"org"}},"jsonrpc":"2.0"}` + "\n"))
		}()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return c.Subscribe(ctx, "token")
	}()
	if err != nil {
		t.Fatal(err)
	}
	select {
	case ev := <-events:
		if ev.Type != "created" || ev.Organization.Name != "Acme" {
			t.Errorf("event %+v", ev)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no event")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var result json.RawMessage
	if err := c.Call(ctx, "m", json.RawMessage(`{"z":1,"a":[3,1]}`), &result); err != nil {
		t.Fatal(err)
	}
	if string(result) != `{"b":"<&>","a":1}` {
		t.Errorf("result %s", result)
	}
	err = c.Call(ctx, "m", nil, nil)
	if e, ok := err.(*Error); !ok || e.Code != CodeNotFound || e.Data == nil || e.Data.Field != "org" {
		t.Errorf("error %v", err)
	}
}

func jsonNum(n uint64) string {
	b, _ := json.Marshal(n)
	return string(b)
}
