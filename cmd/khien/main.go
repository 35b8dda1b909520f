// Command khien is Khiên, a self-hosted security-assurance platform.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"khien.vn/khien/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		// A second signal exits at once.
		<-ctx.Done()
		stop()
	}()
	os.Exit(cli.Run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}
