// Package ehokstest is an in-process fake of eHOKS's service API and of
// the CAS server in front of it, for testing [ehoks.Client] and what is
// built on it without Opintopolku's test environment.
//
// The fake follows eHOKS's handler and schema (Opetushallitus/ehoks,
// src/oph/ehoks/hoks/handler.clj and hoks/schema.clj):
//
//   - CAS: POST /cas/v1/tickets (username, password) answers 201 with the
//     ticket-granting ticket's URL in Location, or 401; POST to that URL
//     (service) answers 200 with a service ticket, or 404 for an unknown
//     or expired TGT. Service tickets are single-use, bound to eHOKS's
//     service URL and valid for Options.STLifetime.
//   - The API under /ehoks-virkailija-backend/api/v1/hoks: POST / (200
//     {"meta":{"id":N},"data":{"uri":…}}), GET /:id and GET
//     /opiskeluoikeus/:oid (200 {"meta":{},"data":HOKS}; 404
//     {"error":…}), PUT and PATCH /:id (204). Every request needs the
//     ticket and caller-id headers (a missing one is compojure-api's 400);
//     a ticket CAS would not validate is 401; an account that is not of
//     type PALVELU is 403; a denied privilege ([Server.DenyAccess]) is 401.
//   - Request bodies are closed schemas per method (HOKSLuonti, HOKSKorvaus,
//     HOKSPaivitys): a member the method excludes is "disallowed-key", a
//     required one missing is "missing-required-key", PATCH takes top-level
//     values only, and POST and PUT refuse the parts' ids and module-ids.
//     Strings are trimmed. The plan is then checked with [hoks.ValidateWith]
//     and its problems answered in compojure-api's 400 shape, the
//     acquisition-period constraints under the period with eHOKS's Finnish
//     descriptions ("Lisää osa-aikaisuustieto, joka on välillä 1-100.").
//   - One HOKS per study right (a second POST is 400 "HOKS with the same
//     opiskeluoikeus-oid already exists"); GET adds id, eid,
//     manuaalisyotto false, the parts' ids and module-ids and empty lists;
//     PUT empties the members it leaves out and gives every part new ids;
//     the study right and learner cannot be changed (400).
//
// Knobs make the failures a client must survive: [Server.ExpireTGTs],
// [Server.ExpireNextST], [Server.ExpireTicketsNow], [Server.FailNext],
// [Server.ThrottleNext], [Server.FailNextAfterWrite],
// [Server.DenyAccess]; [Server.Requests] logs what was asked. It is a test
// double, not an eHOKS: it does not ask KOSKI or the learner register,
// keeps no history, and checks no privileges per school.
package ehokstest

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"

	"github.com/valmennus/valmennus/adapters/ehoks"
	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/hoks"
)

// Paths of the fake, as eHOKS and CAS have them.
const (
	// APIPath is the HOKS API's base path.
	APIPath = "/ehoks-virkailija-backend/api/v1/hoks"
	// ServicePath is the CAS service eHOKS validates tickets for.
	ServicePath = "/ehoks-virkailija-backend/cas-security-check"
)

// Options configure the fake. The zero value (or nil) works.
type Options struct {
	// Username and Password are the one CAS account; defaults
	// "valmennus-palvelu" and "fake-password".
	Username, Password string
	// AccountType is the account's kayttajaTyyppi; default "PALVELU", the
	// only type eHOKS's /hoks routes accept (others get 403).
	AccountType string
	// STLifetime is how long a service ticket is valid; default 10 s, as
	// in Opintopolku's CAS.
	STLifetime time.Duration
	// Today is "today" for the rules relative to it; zero means the
	// current date in Helsinki.
	Today coaching.Date
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// Request is one API request the fake answered.
type Request struct {
	Method string
	// Path is the path under APIPath, e.g. "/" or "/12".
	Path   string
	Status int
	// Versio is the body's top-level "versio", when it had one.
	Versio *int
}

// Stats counts the CAS tickets the fake issued.
type Stats struct{ TGTs, STs int }

// Server is a running fake. It is safe for concurrent use.
type Server struct {
	// URL is the base URL of the fake, standing for the officials' host
	// (https://virkailija.opintopolku.fi).
	URL string

	srv  *httptest.Server
	opts Options

	mu           sync.Mutex
	seq          int
	tgts         map[string]bool
	sts          map[string]*ticket
	expireNextST bool
	stats        Stats
	casLog       []string

	failNext       int
	failStatus     int
	failRetryAfter string
	failAfter      int
	failAfterCode  int
	deny           bool

	nextID    int64
	nextChild int64
	plans     map[int64]*stored
	byOID     map[string]int64
	log       []Request
}

// stored is a HOKS as the fake keeps it: with its parts' ids and
// module-ids, without id, eid and manuaalisyotto.
type stored struct {
	plan *hoks.Plan
	eid  string
}

// New starts a fake; stop it with Close. opts may be nil.
func New(opts *Options) *Server {
	s := &Server{tgts: map[string]bool{}, sts: map[string]*ticket{}, plans: map[int64]*stored{}, byOID: map[string]int64{}}
	if opts != nil {
		s.opts = *opts
	}
	if s.opts.Username == "" {
		s.opts.Username = "valmennus-palvelu"
	}
	if s.opts.Password == "" {
		s.opts.Password = "fake-password"
	}
	if s.opts.AccountType == "" {
		s.opts.AccountType = "PALVELU"
	}
	if s.opts.STLifetime == 0 {
		s.opts.STLifetime = 10 * time.Second
	}
	if s.opts.Now == nil {
		s.opts.Now = time.Now
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /cas/v1/tickets", s.serveTGT)
	mux.HandleFunc("POST /cas/v1/tickets/{tgt}", s.serveST)
	mux.HandleFunc("POST "+APIPath, s.api(s.create))
	mux.HandleFunc("POST "+APIPath+"/{$}", s.api(s.create))
	mux.HandleFunc("GET "+APIPath+"/{id}", s.api(s.get))
	mux.HandleFunc("PUT "+APIPath+"/{id}", s.api(s.put))
	mux.HandleFunc("PATCH "+APIPath+"/{id}", s.api(s.patch))
	mux.HandleFunc("GET "+APIPath+"/opiskeluoikeus/{oid}", s.api(s.getByStudyRight))
	s.srv = httptest.NewServer(mux)
	s.URL = s.srv.URL
	return s
}

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// ClientOptions returns options for an [ehoks.Client] of this fake:
// its URL, account, an HTTP client, and a Sleep that does not wait (so
// that retries are instant in tests).
func (s *Server) ClientOptions(callerID string) ehoks.Options {
	return ehoks.Options{
		BaseURL:    s.URL,
		Username:   s.opts.Username,
		Password:   s.opts.Password,
		CallerID:   callerID,
		HTTPClient: s.srv.Client(),
		Sleep:      func(ctx context.Context, _ time.Duration) error { return ctx.Err() },
	}
}
