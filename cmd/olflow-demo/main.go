// Command olflow-demo is olflow with the demo: `olflow-demo demo` starts a
// dev server, the OneLogin simulator, a codec server and a worker, then
// connects a tenant and onboards a new hire (make demo). It is a separate
// binary so that olflow itself never links the simulator.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/olflow/olflow/internal/cli"
	"github.com/olflow/olflow/internal/demosim"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], cli.OSEnv(), cli.WithDemo(demosim.New))
	stop()
	os.Exit(code)
}
