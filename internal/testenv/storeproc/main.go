// Command storeproc runs the embedded store engine in a process of its own,
// for tests that need the store outside the process under test: tests run
// with the race detector (which would slow the engine tenfold), and tests
// that kill the store. It prints the engine's URI on stdout, then serves
// until stdin closes or it is signalled. With -ephemeral it removes its data
// directory when it stops.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/orgd/orgd/internal/embedded"
)

func main() {
	ephemeral := flag.Bool("ephemeral", false, "remove the data directory on exit")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: storeproc [-ephemeral] DATA_DIR")
		os.Exit(2)
	}
	dir := flag.Arg(0)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	eng, err := embedded.Start(ctx, dir, embedded.Options{Log: log})
	if err != nil {
		fmt.Fprintln(os.Stderr, "storeproc:", err)
		os.Exit(1)
	}
	fmt.Println(eng.URI())
	go func() {
		// The test that started us is gone when stdin closes.
		_, _ = io.Copy(io.Discard, os.Stdin)
		stop()
	}()
	<-ctx.Done()
	err = eng.Close(context.Background())
	if *ephemeral {
		os.RemoveAll(dir)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "storeproc:", err)
		os.Exit(1)
	}
}
