// Command webui serves the web interface (adapters/webui) in development
// mode, on the embedded memory store with a synthetic demo cohort (package
// webuidemo: sixteen invented pilot students six weeks into their
// studies, with their attendance, guidance work and HOKS at their dates,
// one student flagged and two past their phase deadline) and the UNSAFE
// development sign-in,
// where anyone who reaches the page signs in as anyone on its list:
//
//	go run ./examples/webui                  # http://127.0.0.1:8080/
//	go run ./examples/webui -addr 127.0.0.1:9000
//
// It is a demonstration only, and serves on a loopback address only: a
// -addr that is not one (":8080", a public address, a name that resolves
// to one) is refused unless -unsafe-public says, explicitly, that anyone
// who reaches it may sign in as anyone. The session
// key is random per run (a restart signs everybody out) and nothing is
// kept when the program ends. It shuts down on SIGINT or SIGTERM, letting
// the requests in flight finish.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/valmennus/valmennus/examples/webui/webuidemo"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stderr, nil); err != nil {
		fmt.Fprintln(os.Stderr, "webui:", err)
		os.Exit(1)
	}
}

// run parses the flags, builds the demo and serves it until ctx is done;
// then it stops accepting requests and lets those in flight finish (up to
// 10 seconds). listening, when not nil, receives the address it listens
// on.
func run(ctx context.Context, args []string, logOut io.Writer, listening chan<- string) error {
	fs := flag.NewFlagSet("webui", flag.ContinueOnError)
	fs.SetOutput(logOut)
	addr := fs.String("addr", "127.0.0.1:8080", "the address to serve on: a loopback address, for the sign-in is unsafe")
	public := fs.Bool("unsafe-public", false, "serve on an address that is not loopback all the same: anyone who reaches it signs in as anyone")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	if !loopback(ln.Addr()) && !*public {
		_ = ln.Close()
		return fmt.Errorf("refusing to serve the unsafe development sign-in on %s, which is not a loopback address: "+
			"use -addr 127.0.0.1:PORT, or -unsafe-public if anyone who reaches it may sign in as anyone", ln.Addr())
	}
	log := slog.New(slog.NewTextHandler(logOut, nil))
	demo, err := webuidemo.New(ctx, &webuidemo.Options{Logger: log})
	if err != nil {
		_ = ln.Close()
		return err
	}
	log.Warn("UNSAFE DEVELOPMENT MODE: anyone who can reach this server signs in as anyone, a head of studies " +
		"included; the data are a synthetic demo cohort in memory. Never expose it or use it with real data.")
	log.Info("serving the web interface", slog.String("url", "http://"+ln.Addr().String()+"/"))
	if listening != nil {
		listening <- ln.Addr().String()
	}
	srv := &http.Server{Handler: demo.Handler, ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelError)}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return err
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// loopback reports whether a listener's address is a loopback one (as
// bound: ":8080" binds every interface, a name the address it resolved
// to).
func loopback(a net.Addr) bool {
	tcp, ok := a.(*net.TCPAddr)
	return ok && tcp.IP.IsLoopback()
}
