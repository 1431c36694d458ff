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
// served at /openapi.json; /healthz says the process is up and /readyz
// that the store answers, the dispatcher and ticker are running, no due
// notice has waited longer than -ready-max-lag (default 15m) to be
// delivered, and the e-mail channel is not paused after a misconfigured
// send (refused credentials, a certificate that does not verify).
//
// A failed send is retried with a backoff capped at a third of
// -ready-max-lag (at most an hour, at least a second), so that once the
// mail server is back a late notice goes out, and /readyz passes again,
// well within -ready-max-lag; a notice gets as many more tries as keep
// it retrying about as long as the dispatcher's defaults (10 tries, some
// hour and a half of waits on average) before it is marked dead.
//
// GET /metrics serves the Prometheus metrics of adapters/telemetry (the
// engine's, the dispatcher's and the outbox's) without sign-on, on the
// -metrics-addr listener: by default 127.0.0.1:9464, loopback only. A
// host that scrapes from elsewhere gives an internal address; serving
// the metrics beside the API, on -addr, takes the explicit
// -metrics-addr api (then the proxy in front must not pass /metrics on),
// and -metrics-addr off serves none. The outbox's gauges read the store
// at most once every 5 seconds, however often it is scraped.
//
// The API's requests run in spans that start new traces, linked to the
// trace context a caller sends, which is not continued: callers are
// anonymous until signed on. -trust-incoming-trace continues it, for a
// server only a trusted proxy reaches. With OTEL_EXPORTER_OTLP_ENDPOINT
// (or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) in the environment the spans of
// the requests, transitions and sends are exported over OTLP/HTTP.
//
// With -smtp the notices are mailed. The server must offer STARTTLS: the
// command refuses to start when it answers without it, unless
// -smtp-insecure (a relay on a trusted network, a test server) allows
// plaintext. SMTP credentials come from the environment variables
// VALMENNUS_SMTP_USERNAME and VALMENNUS_SMTP_PASSWORD, never from flags
// (which other users of the machine can read), and are never logged; they
// are only ever sent over TLS.
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

	gosmtp "github.com/emersion/go-smtp"
	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/net/netutil"

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
// seconds), and stops the dispatcher and the ticker. listening, when not
// nil, receives the listening address.
func run(ctx context.Context, args []string, logOut io.Writer, listening chan<- string) error {
	return runWith(ctx, args, logOut, listening, nil)
}

// testHooks are what the tests change that no flag does.
type testHooks struct {
	// clock is the engine's, the dispatcher's, the mail's and the outbox
	// check's (the heartbeats keep the system's: they watch real loops).
	clock coaching.Clock
	// dispatchInterval replaces the dispatcher's.
	dispatchInterval time.Duration
	// metricsListening, when not nil, receives the address of the
	// -metrics-addr listener.
	metricsListening chan<- string
	// outboxMinInterval replaces telemetry's OutboxMinInterval when not
	// zero (negative: read the outbox at every scrape).
	outboxMinInterval time.Duration
}

// runWith is run, with the tests' hooks when hooks is not nil.
func runWith(ctx context.Context, args []string, logOut io.Writer, listening chan<- string, hooks *testHooks) error {
	if hooks == nil {
		hooks = &testHooks{}
	}
	clock := hooks.clock
	if clock == nil {
		clock = coaching.SystemClock{}
	}
	dispatchEvery := dispatchInterval
	if hooks.dispatchInterval > 0 {
		dispatchEvery = hooks.dispatchInterval
	}
	fs := flag.NewFlagSet("backend", flag.ContinueOnError)
	fs.SetOutput(logOut)
	addr := fs.String("addr", "127.0.0.1:8080", "listen address")
	sqlitePath := fs.String("sqlite", "", "SQLite database file (created and migrated when new)")
	pgDSN := fs.String("postgres", "", "PostgreSQL DSN (the schema is migrated)")
	smtpAddr := fs.String("smtp", "", "SMTP server host:port for notices, with STARTTLS (credentials from "+envSMTPUsername+" and "+envSMTPPassword+"); without it notices are logged by id")
	smtpFrom := fs.String("smtp-from", "Valmennus <valmennus@localhost>", "sender address of notices")
	smtpInsecure := fs.Bool("smtp-insecure", false, "allow an SMTP server without STARTTLS (plaintext; a relay on a trusted network or a test server); credentials are never sent without TLS")
	maxConns := fs.Int("max-connections", 1024, "most client connections open at once (more wait to be accepted); 0 for no limit")
	readyMaxLag := fs.Duration("ready-max-lag", httpapi.DefaultOutboxMaxLag, "/readyz fails while a due notice has waited longer than this to be delivered")
	metricsAddr := fs.String("metrics-addr", defaultMetricsAddr, "serve GET /metrics, without sign-on, on this listen address (keep it internal); "+
		metricsOnAPI+" to serve it on -addr beside the API (the proxy in front must not pass /metrics on), "+metricsOff+" for none")
	trustTrace := fs.Bool("trust-incoming-trace", false, "continue the trace context (traceparent, tracestate) requests carry: only when a trusted proxy sets or drops those headers; else each request starts a new trace linked to it")
	devIdentities := fs.Bool("dev-identities", false, "UNSAFE, development only: take the caller's identity from X-Actor-* request headers anyone can set")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *sqlitePath != "" && *pgDSN != "" {
		return errors.New("choose one store: -sqlite or -postgres")
	}
	if *maxConns < 0 {
		return errors.New("-max-connections must be 0 (no limit) or more")
	}
	if *readyMaxLag <= 0 {
		return errors.New("-ready-max-lag must be positive")
	}
	if *metricsAddr == "" {
		return errors.New("-metrics-addr must be a listen address, " + metricsOnAPI + " or " + metricsOff)
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
		s, err := newSMTPSender(ctx, *smtpAddr, *smtpFrom, *smtpInsecure, clock, log)
		if err != nil {
			return err
		}
		sender = s
	}
	engOpts, err := httpapi.EngineOptions()
	if err != nil {
		return err
	}
	// Metrics for GET /metrics, and traces over OTLP when the
	// environment names a collector (OTEL_EXPORTER_OTLP_ENDPOINT).
	outbox, _ := store.(coaching.OutboxInspector)
	tel, err := newObservability(ctx, &observabilityOptions{outbox: outbox, clock: clock, log: log,
		trustIncomingTrace: *trustTrace, outboxMinInterval: hooks.outboxMinInterval})
	if err != nil {
		return err
	}
	defer func() {
		// The last spans are flushed after the last request and round.
		shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if err := tel.shutdown(shutdownCtx); err != nil {
			log.Warn("telemetry shutdown", slog.Any("error", err))
		}
	}()
	engOpts.Logger = log
	engOpts.Clock = clock
	engOpts.Observer = tel.obs
	eng, err := coaching.New(store, engOpts)
	if err != nil {
		return err
	}
	// The notices go out by e-mail (logged instead without -smtp): one
	// dispatcher, its channel "email" in the logs, metrics and /readyz.
	// The retries' backoff is capped well below -ready-max-lag: a mail
	// server that comes back is tried again soon enough for a late
	// notice to go out, and /readyz to pass, within it. More tries make
	// up for the shorter waits.
	baseBackoff, maxBackoff, maxAttempts := dispatcherBackoff(*readyMaxLag)
	disp, err := coaching.NewDispatcher(store, sender, &coaching.DispatcherOptions{Logger: log, Interval: dispatchEvery, Clock: clock,
		Channel: mailChannel, Observer: tel.obs, BaseBackoff: baseBackoff, MaxBackoff: maxBackoff, MaxAttempts: maxAttempts})
	if err != nil {
		return err
	}
	if err := tel.obs.WatchChannel(mailChannel, disp); err != nil {
		return err
	}
	// /readyz: the store answers, the dispatcher and the ticker have run a
	// round within three of their intervals, no due notice has waited
	// longer than -ready-max-lag, and the e-mail channel is not paused.
	dispBeat, err := httpapi.NewHeartbeat(&httpapi.HeartbeatOptions{Name: "dispatcher", Interval: dispatchEvery})
	if err != nil {
		return err
	}
	tickBeat, err := httpapi.NewHeartbeat(&httpapi.HeartbeatOptions{Name: "ticker", Interval: tickInterval})
	if err != nil {
		return err
	}
	ready := []httpapi.Check{dispBeat.Check(), tickBeat.Check(), httpapi.DispatcherCheck(disp, mailChannel)}
	if p, ok := store.(httpapi.Pinger); ok {
		ready = append(ready, httpapi.StoreCheck(p))
	}
	if outbox != nil {
		ready = append(ready, httpapi.OutboxCheck(outbox, &httpapi.OutboxCheckOptions{MaxLag: *readyMaxLag, Clock: clock}))
	}
	var auth httpapi.Authenticator = noSignOn
	if *devIdentities {
		log.Warn("UNSAFE: -dev-identities: callers say who they are in X-Actor-* headers; for development only")
		// Relations come from the participant records: relation headers
		// are refused.
		auth = httpauth.NewDevIdentities(nil)
	}
	// The request limits are the handler's defaults (see httpapi.Options).
	api, err := httpapi.New(eng, &httpapi.Options{Authenticator: auth, Logger: log, Ready: ready})
	if err != nil {
		return err
	}

	l, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	if *maxConns > 0 {
		// Past the limit a connection waits in the kernel's queue to be
		// accepted: memory and file descriptors stay bounded whatever the
		// clients do. The handler's MaxConcurrent caps the requests.
		l = netutil.LimitListener(l, *maxConns)
	}
	// The API runs under the telemetry middleware (a span per request,
	// whose trace the notices it enqueues carry). GET /metrics is not the
	// API's: it needs no sign-on, so it is served on -metrics-addr (by
	// default on loopback), beside the API only when asked explicitly.
	mux := http.NewServeMux()
	mux.Handle("/", tel.obs.Handler(api))
	var ms *http.Server
	switch *metricsAddr {
	case metricsOff:
	case metricsOnAPI:
		log.Warn("-metrics-addr " + metricsOnAPI + ": GET /metrics is served beside the API without sign-on; the proxy in front must not pass it on")
		mux.Handle("GET /metrics", tel.metrics())
	default:
		ml, err := net.Listen("tcp", *metricsAddr)
		if err != nil {
			_ = l.Close()
			return fmt.Errorf("-metrics-addr: %w", err)
		}
		metricsMux := http.NewServeMux()
		metricsMux.Handle("GET /metrics", tel.metrics())
		ms = &http.Server{Handler: metricsMux, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute, WriteTimeout: time.Minute}
		log.Info("serving metrics", slog.String("addr", ml.Addr().String()))
		if hooks.metricsListening != nil {
			hooks.metricsListening <- ml.Addr().String()
		}
		go func() {
			if err := ms.Serve(ml); err != nil && !errors.Is(err, http.ErrServerClosed) {
				log.Error("metrics listener", slog.Any("error", err))
			}
		}()
	}
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute, WriteTimeout: time.Minute}
	log.Info("listening", slog.String("addr", l.Addr().String()), slog.String("store", storeName))
	if listening != nil {
		listening <- l.Addr().String()
	}

	bg, stopBG := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() {
		runBackground(bg, eng, disp, dispatchEvery, tickInterval, log, dispBeat, tickBeat)
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
	if ms != nil {
		_ = ms.Close() // a scrape in flight is of no use once the process stops
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

// The -metrics-addr default and its two words.
const (
	// defaultMetricsAddr is loopback only, on the port the OpenTelemetry
	// Prometheus exporter customarily uses.
	defaultMetricsAddr = "127.0.0.1:9464"
	metricsOnAPI       = "api"
	metricsOff         = "off"
)

// The dispatcher's defaults, which dispatcherBackoff departs from.
const (
	defaultBaseBackoff = 30 * time.Second
	defaultMaxBackoff  = time.Hour
	defaultMaxAttempts = 10
)

// dispatcherBackoff returns the dispatcher's BaseBackoff, MaxBackoff and
// MaxAttempts for readyMaxLag (positive). The longest wait between two
// tries is a third of it, at most an hour (the dispatcher's default) and
// at least a second (not to hammer a server that is down); the first
// wait is the default 30 seconds, or the longest wait when that is
// shorter. So a notice that fell late during an outage is tried again
// within a third of readyMaxLag of the server's return. The shorter
// waits would spend the default 10 tries in a shorter outage, so there
// are as many more tries as keep a notice retrying, on average, at least
// as long as the defaults do (about an hour and a half) before it is
// marked dead; at most 10000.
func dispatcherBackoff(readyMaxLag time.Duration) (base, maxWait time.Duration, attempts int) {
	maxWait = min(defaultMaxBackoff, max(readyMaxLag/3, time.Second))
	base = min(defaultBaseBackoff, maxWait)
	want := meanRetrySpan(defaultBaseBackoff, defaultMaxBackoff, defaultMaxAttempts)
	attempts = defaultMaxAttempts
	for attempts < 10000 && meanRetrySpan(base, maxWait, attempts) < want {
		attempts++
	}
	return base, maxWait, attempts
}

// meanRetrySpan is the mean time a notice that fails every try spends
// waiting between its first and its last (attempts-th) try: the
// dispatcher's wait after the n-th failure is uniform in [base,
// min(maxWait, base × 2^(n-1))].
func meanRetrySpan(base, maxWait time.Duration, attempts int) time.Duration {
	var sum time.Duration
	ceiling := base
	for n := 1; n < attempts; n++ {
		sum += (base + ceiling) / 2
		ceiling = min(ceiling*2, maxWait)
	}
	return sum
}

// The background loops' intervals.
const (
	dispatchInterval = 5 * time.Second
	tickInterval     = time.Minute
)

// mailChannel names the notices' channel (a metric label and a /readyz
// check): a fixed name, never an address.
const mailChannel = "email"

// runBackground runs the dispatcher (a round every dispatchEvery) and
// the deadline ticker (every tick) until ctx is done, beating their
// heartbeats after every round, failed or not; it returns when both have
// stopped.
func runBackground(ctx context.Context, eng *coaching.Engine, disp *coaching.Dispatcher, dispatchEvery, tick time.Duration, log *slog.Logger,
	dispBeat, tickBeat *httpapi.Heartbeat) {
	var wg sync.WaitGroup
	wg.Go(func() {
		// disp.Run's loop, with a beat after each round.
		t := time.NewTicker(dispatchEvery)
		defer t.Stop()
		for {
			// A paused channel was logged when the pause began (and is
			// /readyz's "email"); the rounds it skips are not logged again.
			if _, err := disp.RunOnce(ctx); err != nil && ctx.Err() == nil && !errors.Is(err, coaching.ErrChannelPaused) {
				log.Warn("dispatch round failed", slog.Any("error", err))
			}
			dispBeat.Beat()
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	})
	wg.Go(func() {
		t := time.NewTicker(tick)
		defer t.Stop()
		for {
			if _, err := eng.Tick(ctx, eng.Clock().Now()); err != nil && ctx.Err() == nil {
				log.Warn("tick failed", slog.Any("error", err))
			}
			tickBeat.Beat()
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	})
	wg.Wait()
}

// The environment variables the SMTP credentials are read from.
const (
	envSMTPUsername = "VALMENNUS_SMTP_USERNAME"
	envSMTPPassword = "VALMENNUS_SMTP_PASSWORD"
)

// newSMTPSender returns the notices' SMTP sender. Unless insecure, it asks
// the server first whether it offers STARTTLS and refuses to start when it
// answers without it: a misconfiguration is found at start, not by
// notices that cannot be sent. A server that cannot be reached now is
// logged and left to the dispatcher's retries (which refuse plaintext just
// the same). Credentials come from the environment, and only their
// presence is logged.
func newSMTPSender(ctx context.Context, addr, from string, insecure bool, clock coaching.Clock, log *slog.Logger) (*smtp.Sender, error) {
	opts := smtp.Options{Addr: addr, From: from, AllowInsecure: insecure, Timeout: 10 * time.Second, Clock: clock,
		Username: os.Getenv(envSMTPUsername), Password: os.Getenv(envSMTPPassword)}
	s, err := smtp.New(opts)
	if err != nil {
		// smtp.New's errors name fields, never their values.
		return nil, err
	}
	if insecure {
		log.Warn("-smtp-insecure: notices may be mailed in plaintext to a server without STARTTLS", slog.String("smtp", addr))
	} else {
		switch tls, err := offersStartTLS(ctx, addr); {
		case err != nil:
			log.Warn("the SMTP server cannot be asked whether it offers STARTTLS now; the dispatcher will try", slog.String("smtp", addr),
				slog.Any("error", err))
		case !tls:
			return nil, fmt.Errorf("the SMTP server %s does not offer STARTTLS, which is required (-smtp-insecure allows plaintext, for a relay on a trusted network)", addr)
		}
	}
	log.Info("notices are mailed", slog.String("smtp", addr), slog.Bool("credentials", opts.Username != ""), slog.Bool("insecure", insecure))
	return s, nil
}

// offersStartTLS connects to the SMTP server at addr and reports whether
// its EHLO answer offers STARTTLS.
func offersStartTLS(ctx context.Context, addr string) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", addr)
	if err != nil {
		return false, err
	}
	if deadline, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(deadline)
	}
	c := gosmtp.NewClient(conn)
	defer c.Close()
	if err := c.Hello("localhost"); err != nil {
		return false, err
	}
	ok, _ := c.Extension("STARTTLS")
	_ = c.Quit()
	return ok, nil
}
