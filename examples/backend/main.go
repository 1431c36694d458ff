// Command backend serves the valmennus HTTP API (package
// adapters/httpapi) as a program of its own: flags, the store chosen by
// them, the engine, the dispatcher and the deadline ticker beside the
// server, and a graceful shutdown on SIGINT/SIGTERM.
//
//	go run ./examples/backend -dev-identities                # memory store, 127.0.0.1:8080
//	go run ./examples/backend -sqlite valmennus.db           # an SQLite file
//	go run ./examples/backend -postgres "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
//
// No sign-on is configured yet, so without -dev-identities every signed-in
// request is a 401. -dev-identities (UNSAFE: development only) takes the
// caller's identity from X-Actor-* request headers that anyone may set;
// see httpauth.DevIdentities. The API is described by its OpenAPI document,
// served at /openapi.json.
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
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/valmennus/valmennus/adapters/httpapi"
	"github.com/valmennus/valmennus/adapters/httpauth"
	"github.com/valmennus/valmennus/adapters/memory"
	"github.com/valmennus/valmennus/adapters/postgres"
	"github.com/valmennus/valmennus/adapters/smtp"
	"github.com/valmennus/valmennus/adapters/sqlite"
	"github.com/valmennus/valmennus/coaching"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stderr, nil); err != nil {
		fmt.Fprintln(os.Stderr, "backend:", err)
		os.Exit(1)
	}
}

// run parses the flags, opens the store, and serves until ctx is done;
// then it stops accepting requests, lets those in flight finish (up to 10
// seconds), and stops the dispatcher and the ticker. ready, when not nil,
// receives the listening address.
func run(ctx context.Context, args []string, logOut io.Writer, ready chan<- string) error {
	fs := flag.NewFlagSet("backend", flag.ContinueOnError)
	fs.SetOutput(logOut)
	addr := fs.String("addr", "127.0.0.1:8080", "listen address")
	sqlitePath := fs.String("sqlite", "", "SQLite database file (created and migrated when new)")
	pgDSN := fs.String("postgres", "", "PostgreSQL DSN (the schema is migrated)")
	smtpAddr := fs.String("smtp", "", "SMTP server host:port for notices (plain, for development); without it notices are logged by id")
	smtpFrom := fs.String("smtp-from", "Valmennus <valmennus@localhost>", "sender address of notices")
	devIdentities := fs.Bool("dev-identities", false, "UNSAFE, development only: take the caller's identity from X-Actor-* request headers anyone can set")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *sqlitePath != "" && *pgDSN != "" {
		return errors.New("choose one store: -sqlite or -postgres")
	}
	// Every line logged within a request (the engine's too) names its id.
	log := slog.New(httpapi.LogHandler(slog.NewTextHandler(logOut, &slog.HandlerOptions{Level: slog.LevelInfo})))

	var store coaching.Store = memory.New()
	storeName := "memory"
	switch {
	case *sqlitePath != "":
		s, err := sqlite.Open(ctx, *sqlitePath, &sqlite.Options{Migrate: true})
		if err != nil {
			return err
		}
		defer s.Close()
		store, storeName = s, "sqlite "+*sqlitePath
	case *pgDSN != "":
		pool, err := pgxpool.New(ctx, *pgDSN)
		if err != nil {
			return err
		}
		defer pool.Close()
		s, err := postgres.New(pool, nil)
		if err != nil {
			return err
		}
		if err := s.Migrate(ctx); err != nil {
			return err
		}
		store, storeName = s, "postgres"
	}

	var sender coaching.Sender = coaching.SenderFunc(func(_ context.Context, n coaching.Notice) error {
		log.Info("notice", slog.Any("notice", n)) // ids and kinds only (Notice.LogValue)
		return nil
	})
	if *smtpAddr != "" {
		s, err := smtp.New(smtp.Options{Addr: *smtpAddr, From: *smtpFrom, AllowInsecure: true, Timeout: 10 * time.Second})
		if err != nil {
			return err
		}
		sender = s
	}
	engOpts, err := httpapi.EngineOptions()
	if err != nil {
		return err
	}
	engOpts.Logger = log
	eng, err := coaching.New(store, engOpts)
	if err != nil {
		return err
	}
	disp, err := coaching.NewDispatcher(store, sender, &coaching.DispatcherOptions{Logger: log, Interval: 5 * time.Second})
	if err != nil {
		return err
	}
	var auth httpapi.Authenticator = noSignOn
	if *devIdentities {
		log.Warn("UNSAFE: -dev-identities: callers say who they are in X-Actor-* headers; for development only")
		// Relations come from the participant records: relation headers
		// are refused.
		auth = httpauth.NewDevIdentities(nil)
	}
	api, err := httpapi.New(eng, &httpapi.Options{Authenticator: auth, Logger: log})
	if err != nil {
		return err
	}

	l, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	hs := &http.Server{Handler: api, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute, WriteTimeout: time.Minute}
	log.Info("listening", slog.String("addr", l.Addr().String()), slog.String("store", storeName))
	if ready != nil {
		ready <- l.Addr().String()
	}

	bg, stopBG := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() {
		runBackground(bg, eng, disp, time.Minute, log)
		close(done)
	}()
	serveErr := make(chan error, 1)
	go func() { serveErr <- hs.Serve(l) }()

	select {
	case err = <-serveErr:
	case <-ctx.Done():
		log.Info("shutting down")
		shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		err = hs.Shutdown(shutdownCtx)
		cancel()
	}
	// The dispatcher and ticker stop after the last request: a notice the
	// last request enqueued goes out with the next start at the latest.
	stopBG()
	<-done
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// noSignOn refuses every signed-in request: the example has no sign-on
// configured yet (OpenID Connect comes with adapters/httpauth).
var noSignOn = httpapi.AuthenticatorFunc(func(*http.Request) (coaching.Actor, error) {
	return coaching.Actor{}, fmt.Errorf("%w: this server has no sign-on configured (-dev-identities, unsafe, is for development)", httpapi.ErrUnauthenticated)
})

// runBackground runs the dispatcher and the deadline ticker (every tick)
// until ctx is done, and returns when both have stopped.
func runBackground(ctx context.Context, eng *coaching.Engine, disp *coaching.Dispatcher, tick time.Duration, log *slog.Logger) {
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := disp.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
			log.Error("dispatcher stopped", slog.Any("error", err))
		}
	})
	wg.Go(func() {
		t := time.NewTicker(tick)
		defer t.Stop()
		for {
			if _, err := eng.Tick(ctx, eng.Clock().Now()); err != nil && ctx.Err() == nil {
				log.Warn("tick failed", slog.Any("error", err))
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	})
	wg.Wait()
}
