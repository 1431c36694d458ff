package webui

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/coaching/absence"
	"github.com/valmennus/valmennus/coaching/attendance"
	"github.com/valmennus/valmennus/coaching/caseload"
	coachsession "github.com/valmennus/valmennus/coaching/session"
	"github.com/valmennus/valmennus/hoks"
	"github.com/valmennus/valmennus/internal/httpstatus"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static/style.css
var styleCSS []byte

// Security headers every answer carries. The policy allows no inline
// script or style (not even a style attribute): the interface's only
// style sheet is served by the handler itself, and it needs no script.
const (
	ContentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; " +
		"form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
	referrerPolicy = "same-origin"
)

// Defaults of [Options].
const (
	// DefaultSessionTTL is how long a sign-in lasts.
	DefaultSessionTTL = 8 * time.Hour
	// MinSessionKey is the shortest Options.SessionKey.
	MinSessionKey = 32
)

// Options configure the handler [New] returns. SessionKey and Login are
// required; every other field has the default documented beside it.
type Options struct {
	// Prefix is the path the handler is mounted under, e.g. "/ui"
	// (a trailing slash is ignored): the host mounts the handler as it is,
	// without http.StripPrefix — mux.Handle("/ui/", h) — and every link
	// and redirect the interface writes starts with it. Default "": the
	// handler serves the root.
	Prefix string
	// SessionKey signs the session cookies (HMAC-SHA256). Required, at
	// least 32 bytes of secret randomness; every instance serving the
	// same interface needs the same key, and changing it signs everybody
	// out.
	SessionKey []byte
	// SessionTTL is how long a sign-in lasts; default [DefaultSessionTTL]
	// (8h). A session cannot be revoked before it expires other than by
	// changing SessionKey: signing out deletes the cookie from the browser.
	SessionTTL time.Duration
	// Login is how people sign in. Required: there is no default, so that
	// a host decides. [DevLogin] is the development sign-in (unsafe).
	Login Login
	// Caseload is the caseload service behind the start page, the alerts
	// and the week plan; default caseload.New(eng, nil), whose cursors do
	// not carry over a restart or to another instance (give a Service
	// with a CursorKey for that).
	Caseload *caseload.Service
	// Attendance is the attendance service behind the teacher's grid
	// (/attendance): marks are recorded and read back through it, and the
	// guardians' digests it queues follow its own Options. Default
	// attendance.New(eng, nil) — its default digest time and early-warning
	// rules; give the host's own Service so that the grid records as the
	// rest of the host does.
	Attendance *attendance.Service
	// Absence is the families' absence service behind the family page's
	// form (explain an absence, report one to come, apply for leave) and
	// its list of requests. Default absence.New(eng, Attendance, nil) when
	// the engine was given absence.Documents(), else none: the family page
	// then shows no form and no requests. Give the host's own Service so
	// that its rules of who decides apply (and build Attendance with
	// absence.Excuses(), so that accepted reports excuse later marks).
	Absence *absence.Service
	// HOKS is the plan service whose summary the family page and the case
	// page show, and whose versions the case page lists and compares
	// (GET /cases/{case}/hoks/diff). Default hoks.NewService(eng) when the
	// engine was given hoks.Documents(), else none: the pages show no HOKS
	// and the diff is the 404 page.
	HOKS *hoks.Service
	// Sessions is the coaching sessions service whose team hours the
	// figures page compares with the allocation and whose sessions of a
	// case the case page lists; default session.New(eng).
	Sessions *coachsession.Service
	// Logger receives one line per request (method, route pattern, status,
	// duration: never a path, an id or a name) and the details of every
	// 500. Default: discarded.
	Logger *slog.Logger
	// Clock is the time sessions expire by and phases are overdue by;
	// default the engine's.
	Clock coaching.Clock
}

// handler is the web interface.
type handler struct {
	eng      *coaching.Engine
	cl       *caseload.Service
	att      *attendance.Service
	sess     *coachsession.Service
	abs      *absence.Service
	hoks     *hoks.Service
	login    Login
	log      *slog.Logger
	clock    coaching.Clock
	key      []byte
	ttl      time.Duration
	prefix   string
	cssPath  string
	pages    map[coaching.Language]map[string]*template.Template
	mux      *http.ServeMux
	protect  http.Handler
	notFound http.Handler
}

// pageFiles are the templates, each rendered within layout.html.
var pageFiles = []string{"caseload.html", "case.html", "login.html", "error.html", "event.html",
	"attendance.html", "attendance_history.html",
	"figures.html", "family.html", "hoks_diff.html", "proposals.html", "alerts.html", "week.html",
	"casework.html"}

// partialFiles define templates the pages share, parsed with each page:
// parts.html (the family and proposals pages' parts, the forms' error
// summary) and work_form.html (the work pages' forms, work.go).
var partialFiles = []string{"parts.html", "work_form.html"}

// New returns the web interface over eng: an [http.Handler] serving the
// pages under opts.Prefix. It fails when eng is nil, the SessionKey is
// missing or short, no Login is given, or the prefix is not a clean path.
//
// Every answer carries a strict Content-Security-Policy
// ([ContentSecurityPolicy]), X-Content-Type-Options: nosniff and
// Referrer-Policy: same-origin; every page Cache-Control: no-store. Every
// state-changing request passes [http.CrossOriginProtection] first: a
// cross-origin one is answered with the localized 403 page.
func New(eng *coaching.Engine, opts *Options) (http.Handler, error) {
	if eng == nil {
		return nil, errors.New("webui: the engine is nil")
	}
	if opts == nil {
		return nil, errors.New("webui: Options with a SessionKey and a Login are required")
	}
	h := &handler{eng: eng, cl: opts.Caseload, att: opts.Attendance, abs: opts.Absence, hoks: opts.HOKS, login: opts.Login, log: opts.Logger, clock: opts.Clock, ttl: opts.SessionTTL}
	switch {
	case len(opts.SessionKey) < MinSessionKey:
		return nil, fmt.Errorf("webui: the SessionKey must be at least %d bytes, got %d", MinSessionKey, len(opts.SessionKey))
	case h.login == nil:
		return nil, errors.New("webui: a Login is required (NewDevLogin for development)")
	case h.ttl < 0:
		return nil, fmt.Errorf("webui: SessionTTL must not be negative, got %s", h.ttl)
	}
	h.key = append([]byte(nil), opts.SessionKey...)
	prefix, err := cleanPrefix(opts.Prefix)
	if err != nil {
		return nil, err
	}
	h.prefix = prefix
	if h.ttl == 0 {
		h.ttl = DefaultSessionTTL
	}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	if h.clock == nil {
		h.clock = eng.Clock()
	}
	if h.cl == nil {
		if h.cl, err = caseload.New(eng, nil); err != nil {
			return nil, err
		}
	}
	if h.sess = opts.Sessions; h.sess == nil {
		if h.sess, err = coachsession.New(eng); err != nil {
			return nil, err
		}
	}
	if h.att == nil {
		if h.att, err = attendance.New(eng, nil); err != nil {
			return nil, err
		}
	}
	if h.abs == nil && coaching.RequireDocuments(eng, "absence_request_1") == nil {
		if h.abs, err = absence.New(eng, h.att, nil); err != nil {
			return nil, err
		}
	}
	if h.hoks == nil && coaching.RequireDocuments(eng, hoks.DocumentKind) == nil {
		if h.hoks, err = hoks.NewService(eng); err != nil {
			return nil, err
		}
	}
	sum := sha256.Sum256(styleCSS)
	h.cssPath = h.prefix + "/static/style." + hex.EncodeToString(sum[:6]) + ".css"
	if h.pages, err = parsePages(h); err != nil {
		return nil, err
	}
	h.routes()
	return h, nil
}

// cleanPrefix checks and normalises Options.Prefix: "" or a clean
// absolute path without a trailing slash or pattern characters.
func cleanPrefix(p string) (string, error) {
	p = strings.TrimSuffix(p, "/")
	if p == "" {
		return "", nil
	}
	u, err := url.Parse(p)
	switch {
	case err != nil || u.Path != p || !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//"),
		strings.ContainsAny(p, "{}\\ ?#%"), strings.Contains(p, "/./") || strings.Contains(p, "/../") ||
			strings.HasSuffix(p, "/.") || strings.HasSuffix(p, "/.."):
		return "", fmt.Errorf("webui: Prefix %q is not a clean absolute path such as \"/ui\"", p)
	}
	return p, nil
}

// parsePages parses every page within the layout, once per language: each
// set's t function answers in its language, so templates write
// {{t "key"}} wherever they are.
func parsePages(h *handler) (map[coaching.Language]map[string]*template.Template, error) {
	out := map[coaching.Language]map[string]*template.Template{}
	for _, lang := range languages {
		out[lang] = map[string]*template.Template{}
		for _, f := range pageFiles {
			files := []string{"templates/layout.html"}
			for _, p := range partialFiles {
				files = append(files, "templates/"+p)
			}
			t, err := template.New(f).Funcs(h.funcs(lang)).ParseFS(templateFS, append(files, "templates/"+f)...)
			if err != nil {
				return nil, fmt.Errorf("webui: template %s: %w", f, err)
			}
			out[lang][f] = t
		}
	}
	return out, nil
}

// funcs are the template functions in lang.
func (h *handler) funcs(lang coaching.Language) template.FuncMap {
	return template.FuncMap{
		// t is the catalogue's text for key; a key missing from the
		// catalogue fails the page (a test checks every key templates use).
		"t": func(key string) (string, error) {
			tx, ok := catalogue[key]
			if !ok {
				return "", fmt.Errorf("webui: no text %q in the catalogue", key)
			}
			return tx.in(lang), nil
		},
		// label is the catalogue's text for prefix+name, or name itself
		// for a name the catalogue does not know (a host's own model,
		// role or rule).
		"label": func(prefix string, name any) string { return label(prefix, fmt.Sprint(name), lang) },
		"date": func(t time.Time) string {
			if t.IsZero() {
				return ""
			}
			return formatDate(coaching.DateOf(t), lang)
		},
		"day": func(d coaching.Date) string {
			if d.IsZero() {
				return ""
			}
			return formatDate(d, lang)
		},
		// path is the interface's own path base under the prefix, with
		// each further part path-escaped (ids are data).
		"path": func(base string, parts ...any) string {
			var b strings.Builder
			b.WriteString(h.prefix)
			b.WriteString(base)
			for _, p := range parts {
				b.WriteString(url.PathEscape(fmt.Sprint(p)))
			}
			return b.String()
		},
	}
}

// label is the catalogue's text for prefix+name in lang, or name itself
// for a name the catalogue does not know (a host's own model, role or
// rule).
func label(prefix, name string, lang coaching.Language) string {
	if tx, ok := catalogue[prefix+name]; ok {
		return tx.in(lang)
	}
	return name
}

// formatDate writes a civil date as its readers do: 6.12.2026 in Finnish
// and Swedish (as written in Finland), 2026-12-06 in English.
func formatDate(d coaching.Date, lang coaching.Language) string {
	if lang == coaching.English {
		return d.String()
	}
	return fmt.Sprintf("%d.%d.%d", d.Day, int(d.Month), d.Year)
}

// routes registers the pages. Patterns carry the prefix: the handler sees
// the path as the browser sent it.
func (h *handler) routes() {
	p := h.prefix
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+p+"/{$}", h.home) // the caseload, or a family's page (family.go)
	mux.HandleFunc("GET "+p+"/cases/{case}", h.casePage)
	// The plan diff between two HOKS versions of a case (casepage.go).
	mux.HandleFunc("GET "+p+"/cases/{case}/hoks/diff", h.hoksDiff)
	mux.HandleFunc("GET "+p+"/login", h.beginLogin)
	mux.HandleFunc("GET "+p+"/login/callback", h.finishLogin)
	mux.HandleFunc("POST "+p+"/login/callback", h.finishLogin)
	mux.HandleFunc("POST "+p+"/logout", h.logout)
	mux.HandleFunc("POST "+p+"/language", h.switchLanguage)
	mux.HandleFunc("GET "+h.cssPath, h.style)
	// The events a case's actor may fire now (events.go).
	mux.HandleFunc("GET "+p+"/cases/{case}/events/{event}", h.eventForm)
	mux.HandleFunc("POST "+p+"/cases/{case}/events/{event}", h.fireEvent)
	// The teacher's attendance grid (attendance.go).
	mux.HandleFunc("GET "+p+"/attendance", h.attendancePage)
	mux.HandleFunc("POST "+p+"/attendance", h.recordAttendance)
	mux.HandleFunc("GET "+p+"/attendance/history", h.attendanceHistory)
	// The head of studies' and the funder's figures (figures.go).
	mux.HandleFunc("GET "+p+"/figures", h.figuresPage)
	mux.HandleFunc("GET "+p+"/figures.csv", h.figuresCSV)
	// The staff's alerts and week's plan (work.go).
	mux.HandleFunc("GET "+p+"/alerts", h.alertsPage)
	mux.HandleFunc("POST "+p+"/alerts/{alert}/{action}", h.alertAction)
	mux.HandleFunc("GET "+p+"/week", h.weekPage)
	mux.HandleFunc("POST "+p+"/week/items/{item}/{action}", h.plannedAction)
	for _, work := range caseWorks { // the case page's work forms (casework.go)
		mux.HandleFunc("GET "+p+"/cases/{case}/"+work+"/new", h.workForm(work))
		mux.HandleFunc("POST "+p+"/cases/{case}/"+work+"/new", h.workSave(work))
	}
	// A guardian's or a student's own page and absence form (family.go).
	mux.HandleFunc("GET "+p+"/family/{case}", h.familyCasePage)
	mux.HandleFunc("POST "+p+"/family/{case}/absences", h.submitAbsence)
	// The student's comments on and proposals to their plan (voice.go),
	// and the deciders' page of them (proposals.go).
	mux.HandleFunc("POST "+p+"/family/{case}/comments", h.postComment)
	mux.HandleFunc("POST "+p+"/family/{case}/proposals", h.postProposal)
	mux.HandleFunc("POST "+p+"/family/{case}/proposals/{n}/withdraw", h.withdrawProposal)
	mux.HandleFunc("GET "+p+"/cases/{case}/proposals", h.proposalsPage)
	mux.HandleFunc("POST "+p+"/cases/{case}/proposals/{n}/accept", h.acceptProposal)
	mux.HandleFunc("POST "+p+"/cases/{case}/proposals/{n}/decline", h.declineProposal)
	h.mux = mux
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(h.crossOrigin))
	h.protect = cop.Handler(mux)
	h.notFound = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.errorPage(w, r, http.StatusNotFound, "error.404.body")
	})
}

// ServeHTTP sets the security headers, logs the request (its route
// pattern, never its path) and serves it; a path no page takes gets the
// localized 404 page.
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	hd := w.Header()
	hd.Set("Content-Security-Policy", ContentSecurityPolicy)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", referrerPolicy)
	hd.Set("X-Frame-Options", "DENY")
	sw := httpstatus.NewWriter(w)
	_, pattern := h.mux.Handler(r)
	defer func() {
		route := pattern
		if route == "" {
			route = "unmatched"
		}
		h.log.LogAttrs(r.Context(), slog.LevelInfo, "webui request", slog.String("method", r.Method),
			slog.String("route", route), slog.Int("status", sw.Status()), slog.Duration("duration", time.Since(start)))
	}()
	if pattern == "" {
		// Not a page: the mux's 404 or 405, answered as the localized
		// 404 page (a 405 keeps its status and Allow header).
		rec := httpstatus.NewRecorder()
		h.mux.ServeHTTP(rec, r)
		if rec.Status() == http.StatusMethodNotAllowed {
			sw.Header().Set("Allow", rec.Header().Get("Allow"))
			h.errorPage(sw, r, http.StatusMethodNotAllowed, "error.400.body")
			return
		}
		if rec.Status() != http.StatusNotFound && rec.Status() != 0 {
			h.mux.ServeHTTP(sw, r) // e.g. a redirect to the clean path
			return
		}
		h.notFound.ServeHTTP(sw, r)
		return
	}
	h.protect.ServeHTTP(sw, r)
}

// style serves the style sheet; its path holds its hash, so it is cached
// for a year.
func (h *handler) style(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	_, _ = w.Write(styleCSS)
}

// view is what every page's template gets.
type view struct {
	Lang coaching.Language
	CSS  string
	// User is the signed-in person; nil on the sign-in and error pages of
	// someone not signed in.
	User *userView
	// Here is the current page's local path and query, the return path of
	// the language switch.
	Here string
	// LangLinks switch the language of a page shown to someone not signed
	// in (a GET: showing a page in another language changes nothing).
	LangLinks []langLink
	// Status and Message are an error page's.
	Status  int
	Title   string
	Message string
	Data    any
}

type userView struct {
	Name  string
	Roles []coaching.Role
}

// gridRoles may record attendance under the default policy (its teaching
// and guidance staff): the menu offers them the attendance grid. The grid
// itself asks the policy, so a host's own policy still decides.
var gridRoles = []coaching.Role{coaching.RoleTeacher, coaching.RoleSpecialNeedsTeacher, coaching.RoleCoach,
	coaching.RolePersonalTutor, coaching.RoleStudyCounsellor}

// MarksAttendance reports whether the menu offers the attendance grid.
func (u *userView) MarksAttendance() bool {
	for _, r := range u.Roles {
		if slices.Contains(gridRoles, r) {
			return true
		}
	}
	return false
}

type langLink struct {
	Lang    coaching.Language
	Href    string
	Current bool
}

// render writes page with status in v.Lang. The page is rendered in full
// before anything is written, so a template failure is a clean 500.
func (h *handler) render(w http.ResponseWriter, r *http.Request, status int, page string, v *view) {
	if !knownLanguage(v.Lang) {
		v.Lang = coaching.Finnish
	}
	v.CSS = h.cssPath
	if v.Here == "" {
		v.Here = h.returnPath(r)
	}
	if v.User == nil && len(v.LangLinks) == 0 {
		v.LangLinks = h.langLinks(r, v.Lang)
	}
	var buf bytes.Buffer
	if err := h.pages[v.Lang][page].ExecuteTemplate(&buf, "layout", v); err != nil {
		h.log.LogAttrs(r.Context(), slog.LevelError, "webui page failed", slog.String("page", page), slog.Any("error", err))
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write([]byte(catalogue["error.500.body"].in(v.Lang) + "\n"))
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// langLinks are the current page in each language, for someone not
// signed in.
//
// A link keeps only the page's return path, never the rest of its query:
// the sign-in callback's query holds the provider's code and state, which
// must not be repeated into links. The callback's page (a refused sign-in)
// links to the sign-in page instead.
func (h *handler) langLinks(r *http.Request, cur coaching.Language) []langLink {
	path := r.URL.Path
	if path == h.prefix+"/login/callback" {
		path = h.prefix + "/login"
	}
	out := make([]langLink, 0, len(languages))
	for _, l := range languages {
		q := url.Values{"lang": {string(l)}}
		if ret := r.URL.Query().Get("return"); ret != "" {
			// Only ever a checked path, as the sign-in itself uses.
			q.Set("return", h.safeReturn(ret))
		}
		out = append(out, langLink{Lang: l, Href: path + "?" + q.Encode(), Current: l == cur})
	}
	return out
}

// returnPath is the page to come back to from r — after switching the
// language, or signing in again after the session expired: r's own path
// and query for a GET, else the nearest page above the path the form was
// posted to (POST /family/{case}/absences: the case's page, where the
// form is; POST /alerts/{alert}/resolve: the alerts), for a form's action
// has no page of its own and a GET of it would be the 405 page. The
// form's values are not carried over: they are in the POST's body only.
func (h *handler) returnPath(r *http.Request) string {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return h.localPath(r)
	}
	for p := r.URL.Path; len(p) > len(h.prefix); p = p[:strings.LastIndex(p, "/")] {
		get := &http.Request{Method: http.MethodGet, URL: &url.URL{Path: p}, Host: r.Host}
		if _, pattern := h.mux.Handler(get); strings.HasPrefix(pattern, http.MethodGet+" ") {
			return p
		}
	}
	return h.prefix + "/"
}

// localPath is r's path and query, to come back to.
func (h *handler) localPath(r *http.Request) string {
	if r.URL.RawQuery == "" {
		return r.URL.Path
	}
	return r.URL.Path + "?" + r.URL.RawQuery
}

// errorPage renders the localized error page with status; message is the
// catalogue key of its text.
func (h *handler) errorPage(w http.ResponseWriter, r *http.Request, status int, message string) {
	v := &view{Status: status, Message: message}
	if s, ok := h.session(r); ok {
		v.Lang, v.User = s.Lang, &userView{Name: s.Name, Roles: s.Roles}
	} else {
		v.Lang = requestLanguage(r)
	}
	switch status {
	case http.StatusForbidden:
		v.Title = "error.403.title"
	case http.StatusNotFound:
		v.Title = "error.404.title"
	case http.StatusConflict:
		v.Title = "error.409.title"
	case http.StatusServiceUnavailable:
		v.Title = "error.503.title"
		w.Header().Set("Retry-After", "5")
	case http.StatusInternalServerError:
		v.Title = "error.500.title"
	default:
		v.Title = "error.400.title"
	}
	h.render(w, r, status, "error.html", v)
}

// crossOrigin is CrossOriginProtection's answer to a cross-origin
// state-changing request: the localized 403 page.
func (h *handler) crossOrigin(w http.ResponseWriter, r *http.Request) {
	h.errorPage(w, r, http.StatusForbidden, "error.csrf.body")
}

// requestLanguage is the language of a page shown to someone not signed
// in: ?lang= when it is one of ours, else the first of ours in
// Accept-Language, else Finnish.
func requestLanguage(r *http.Request) coaching.Language {
	if l := coaching.Language(r.URL.Query().Get("lang")); knownLanguage(l) {
		return l
	}
	for part := range strings.SplitSeq(r.Header.Get("Accept-Language"), ",") {
		tag, _, _ := strings.Cut(strings.TrimSpace(part), ";")
		base, _, _ := strings.Cut(strings.ToLower(tag), "-")
		if l := coaching.Language(base); knownLanguage(l) {
			return l
		}
	}
	return coaching.Finnish
}

// failed answers err from the engine or a service: another organisation's
// case (a denial the engine conceals) and a missing one get the same 404
// page, any other denial the 403 page, an unreachable store the 503 page,
// anything else the 500 page with the details in the log.
func (h *handler) failed(w http.ResponseWriter, r *http.Request, err error) {
	var fe *coaching.ForbiddenError
	switch {
	case errors.As(err, &fe):
		if fe.NotFound() != nil {
			h.errorPage(w, r, http.StatusNotFound, "error.404.body")
			return
		}
		h.errorPage(w, r, http.StatusForbidden, "error.403.body")
	case errors.Is(err, coaching.ErrNotFound):
		h.errorPage(w, r, http.StatusNotFound, "error.404.body")
	case errors.Is(err, coaching.ErrUnavailable):
		h.log.LogAttrs(r.Context(), slog.LevelWarn, "webui store unavailable", slog.String("route", r.Pattern), slog.Any("error", err))
		h.errorPage(w, r, http.StatusServiceUnavailable, "error.503.body")
	default:
		h.log.LogAttrs(r.Context(), slog.LevelError, "webui request failed", slog.String("route", r.Pattern), slog.Any("error", err))
		h.errorPage(w, r, http.StatusInternalServerError, "error.500.body")
	}
}
