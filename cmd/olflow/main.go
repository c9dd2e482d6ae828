// Command olflow is the one binary people run: the worker, the codec
// server, and the commands operators and scripts use (connect, sync,
// schedule, the actions, status, replay). See `olflow --help`.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/olflow/olflow/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], cli.OSEnv())
	stop()
	os.Exit(code)
}
