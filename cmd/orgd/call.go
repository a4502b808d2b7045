package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/orgd/orgd/rpc"
)

func callCommand(e *env) *cobra.Command {
	var addr, token string
	cmd := &cobra.Command{
		Use:   "call [--addr A] [--token T] METHOD [JSON]",
		Short: "Call one JSON-RPC method and print its result",
		Long: `Send one request to orgd and print the result as JSON on stdout (exit 0).
A JSON-RPC error is printed as the error object on stderr (exit 1); if orgd
cannot be reached, exit 2; if orgd is busy (-32053: nothing was done, retry
after data.retry_after_ms), exit 3. JSON is the params object; "-" reads it
from stdin.

The daemon is found by --addr, then ORGD_ADDR, then the default socket.
--token, or else ORGD_TOKEN, is put into params.token for methods that take one.`,
		Example: `  orgd call system.health
  orgd call auth.login '{"email":"ops@example.com","password":"correct horse"}'
  export ORGD_TOKEN=$(orgd call auth.login '{"email":"ops@example.com","password":"correct horse"}' | jq -r .token)
  orgd call org.create '{"name":"Müller GmbH","admin_email":"it@mueller.example","admin_password":"s3cret-pass"}'
  orgd call org.list '{"query":"müller","selector":"env=prod"}'
  orgd call member.add '{"org":"Müller GmbH","email":"ana@mueller.example","password":"…","role":"viewer"}'
  orgd call org.suspend '{"name":"Müller GmbH","reason":"unpaid invoice"}'`,
		Args: cobra.RangeArgs(1, 2),
		// The shell completes the method, from the same list rpc.discover
		// has.
		ValidArgsFunction: func(_ *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
			if len(args) > 0 {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			return rpc.Methods(), cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if token == "" {
				token = os.Getenv("ORGD_TOKEN")
			}
			params, err := callParams(args, e.stdin, token)
			if err != nil {
				return err
			}
			return call(cmd, e, addr, args[0], params)
		},
	}
	cmd.Flags().StringVar(&addr, "addr", "", "daemon address: unix:///path, tcp://host:port or tls://host:port (default $ORGD_ADDR, then the default socket)")
	cmd.Flags().StringVar(&token, "token", "", "token for methods that take one (default $ORGD_TOKEN)")
	return cmd
}

// callParams builds the params object from the JSON argument (or stdin for
// "-"), adding the token when the method takes one and none is given.
func callParams(args []string, stdin io.Reader, token string) (json.RawMessage, error) {
	var raw []byte
	switch {
	case len(args) < 2:
	case args[1] == "-":
		b, err := io.ReadAll(io.LimitReader(stdin, 64<<20))
		if err != nil {
			return nil, fmt.Errorf("read params from stdin: %w", err)
		}
		raw = b
	default:
		raw = []byte(args[1])
	}
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		raw = []byte("{}")
	}
	var params map[string]json.RawMessage
	if err := json.Unmarshal(raw, &params); err != nil || params == nil {
		return nil, usage("params must be a JSON object, like '{\"name\":\"Acme\"}'")
	}
	if _, has := params["token"]; !has && token != "" && rpc.TakesToken(args[0]) {
		t, _ := json.Marshal(token)
		params["token"] = t
	}
	if len(params) == 0 {
		return nil, nil
	}
	return json.Marshal(params)
}

func call(cmd *cobra.Command, e *env, addr, method string, params json.RawMessage) error {
	c := &rpc.Client{Addr: addr}
	defer c.Close()
	var p any
	if params != nil {
		p = params
	}
	var result json.RawMessage
	err := c.Call(cmd.Context(), method, p, &result)
	var rerr *rpc.Error
	switch {
	case err == nil:
		var out bytes.Buffer
		if json.Indent(&out, result, "", "  ") != nil {
			out.Reset()
			out.Write(result)
		}
		fmt.Fprintln(e.stdout, out.String())
		return nil
	case errors.As(err, &rerr):
		b, _ := json.MarshalIndent(rerr, "", "  ")
		fmt.Fprintln(e.stderr, string(b))
		if rerr.Code == rpc.CodeBusy {
			return &exitError{code: exitBusy}
		}
		return &exitError{code: exitFailure}
	case errors.Is(err, rpc.ErrUnreachable):
		return &exitError{code: exitConnect, err: err}
	}
	return &exitError{code: exitFailure, err: err}
}
