package main

import (
	"context"
	_ "embed"
	"errors"
	"log/slog"
	"maps"
	"net/http"
	"sync"
	"time"

	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/coaching/attendance"
	"github.com/valmennus/valmennus/coaching/referral"
	"github.com/valmennus/valmennus/hoks"
	"github.com/valmennus/valmennus/pathway"
)

// openAPI is the service's OpenAPI 3.1 document, served at
// /openapi.json; a test checks it against the routes registered below.
//
//go:embed openapi.json
var openAPI []byte

// Config configures a [Server]. Store and Sender are required; the rest
// have defaults.
type Config struct {
	Store coaching.Store
	// Sender delivers notices (e-mail, webhook, …).
	Sender coaching.Sender
	// Clock defaults to the system clock.
	Clock coaching.Clock
	// Logger defaults to discarding.
	Logger *slog.Logger
	// TickInterval is how often deadlines and timers are checked; default
	// one minute. DispatchInterval is how often the outbox is polled;
	// default five seconds.
	TickInterval, DispatchInterval time.Duration
	// Models default to VALO (with pathway's destinations and follow-ups
	// on its exits and the HOKS rules) and the first-year pilot.
	Models []*coaching.Model
	// MaxBody bounds a request body; default 4 MiB (a class's attendance,
	// an eHOKS document, an import file).
	MaxBody int64
}

// Server is the back end: the engine, the HOKS service and the dispatcher
// behind an http.Handler.
type Server struct {
	eng    *coaching.Engine
	plans  *hoks.Service
	att    *attendance.Service
	store  coaching.Store
	disp   *coaching.Dispatcher
	clock  coaching.Clock
	log    *slog.Logger
	cfg    Config
	mux    *http.ServeMux
	routes []route
	// registry names the rules, payloads and effects of the models, for
	// their JSON documents.
	registry *coaching.ModelRegistry
}

// route is one registered operation; the OpenAPI test compares them with
// the document.
type route struct {
	method, pattern string
	handler         func(*http.Request, coaching.Actor) (int, any, error)
	public          bool // no actor needed (health, the API document)
}

// Registry names everything the default models use: the built-in rules
// and payloads, the HOKS rules, pathway's destination and follow-ups.
func Registry() *coaching.ModelRegistry {
	reg := coaching.BuiltinRegistry()
	hoks.Register(reg)
	pathway.Register(reg, nil)
	return reg
}

// DefaultModels are the models the service runs unless configured.
func DefaultModels() ([]*coaching.Model, error) {
	spec := coaching.VALOSpec()
	if err := pathway.Attach(&spec, nil, coaching.ValoClose, coaching.ValoDiscontinue, coaching.ValoRedirect); err != nil {
		return nil, err
	}
	if err := hoks.AttachRules(&spec, coaching.ValoStartAcquisition, coaching.ValoStartDemonstration); err != nil {
		return nil, err
	}
	valo, err := coaching.BuildModel(spec)
	if err != nil {
		return nil, err
	}
	return []*coaching.Model{valo, coaching.Pilot()}, nil
}

// NewServer builds the engine over cfg.Store and registers the routes.
func NewServer(cfg Config) (*Server, error) {
	if cfg.Store == nil || cfg.Sender == nil {
		return nil, errors.New("backend: a store and a sender are required")
	}
	if cfg.Clock == nil {
		cfg.Clock = coaching.SystemClock{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.TickInterval <= 0 {
		cfg.TickInterval = time.Minute
	}
	if cfg.DispatchInterval <= 0 {
		cfg.DispatchInterval = 5 * time.Second
	}
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = 4 << 20
	}
	if len(cfg.Models) == 0 {
		ms, err := DefaultModels()
		if err != nil {
			return nil, err
		}
		cfg.Models = ms
	}
	// The features' timers and guarded documents: a store may hold
	// referrals (written by another host of the same database), whose
	// follow-ups this server's ticks send and whose traces it shows only
	// as the referral rule allows.
	handlers := pathway.TimerHandlers(nil)
	maps.Copy(handlers, referral.TimerHandlers(nil))
	eng, err := coaching.New(cfg.Store, &coaching.Options{Models: cfg.Models, Clock: cfg.Clock, Logger: cfg.Logger,
		TimerHandlers: handlers, Documents: referral.Documents()})
	if err != nil {
		return nil, err
	}
	plans, err := hoks.NewService(eng)
	if err != nil {
		return nil, err
	}
	att, err := attendance.New(eng, nil)
	if err != nil {
		return nil, err
	}
	disp, err := coaching.NewDispatcher(cfg.Store, cfg.Sender, &coaching.DispatcherOptions{Clock: cfg.Clock, Logger: cfg.Logger,
		Interval: cfg.DispatchInterval})
	if err != nil {
		return nil, err
	}
	s := &Server{eng: eng, plans: plans, att: att, store: cfg.Store, disp: disp, clock: cfg.Clock, log: cfg.Logger, cfg: cfg, mux: http.NewServeMux(),
		registry: Registry()}
	s.register()
	return s, nil
}

// Engine returns the embedded engine.
func (s *Server) Engine() *coaching.Engine { return s.eng }

// ServeHTTP implements http.Handler. A request no route takes gets the
// mux's 404 or 405 (with its Allow header) as problem details too.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h, pattern := s.mux.Handler(r)
	if pattern != "" {
		s.mux.ServeHTTP(w, r)
		return
	}
	rec := &statusRecorder{header: http.Header{}}
	h.ServeHTTP(rec, r)
	if rec.status != http.StatusNotFound && rec.status != http.StatusMethodNotAllowed {
		s.mux.ServeHTTP(w, r) // e.g. a redirect to the clean path
		return
	}
	if allow := rec.header.Get("Allow"); allow != "" {
		w.Header().Set("Allow", allow)
	}
	writeJSON(w, rec.status, "application/problem+json", problem{Type: "about:blank", Title: http.StatusText(rec.status), Status: rec.status,
		Detail: "no route takes " + r.Method + " " + r.URL.Path, Instance: r.URL.Path})
}

// statusRecorder keeps the status and headers the mux's fallback handler
// writes, and drops its text body.
type statusRecorder struct {
	header http.Header
	status int
}

func (r *statusRecorder) Header() http.Header { return r.header }
func (r *statusRecorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
}
func (r *statusRecorder) Write(b []byte) (int, error) {
	r.WriteHeader(http.StatusOK)
	return len(b), nil
}

// Run runs the dispatcher and the deadline ticker until ctx is done, and
// returns when both have stopped.
func (s *Server) Run(ctx context.Context) {
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := s.disp.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
			s.log.Error("dispatcher stopped", slog.Any("error", err))
		}
	})
	wg.Go(func() {
		t := time.NewTicker(s.cfg.TickInterval)
		defer t.Stop()
		for {
			if _, err := s.Tick(ctx); err != nil && ctx.Err() == nil {
				s.log.Warn("tick failed", slog.Any("error", err))
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

// Tick checks deadlines and timers once.
func (s *Server) Tick(ctx context.Context) (coaching.TickReport, error) {
	return s.eng.Tick(ctx, s.clock.Now())
}

// Deliver runs one round of the dispatcher.
func (s *Server) Deliver(ctx context.Context) (coaching.DispatchReport, error) {
	return s.disp.RunOnce(ctx)
}
