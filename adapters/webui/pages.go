package webui

import (
	"context"
	"errors"
	"fmt"
	"html"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/coaching/caseload"
)

// session returns r's valid, current session, if any.
func (h *handler) session(r *http.Request) (session, bool) {
	c, err := r.Cookie(CookieName)
	if err != nil {
		return session{}, false
	}
	s, err := open(h.key, c.Value, h.clock.Now())
	return s, err == nil
}

// signedIn returns r's session, or sends someone not signed in (or whose
// cookie is altered or expired, which is deleted) to the sign-in page
// with the current page as the return path (303): for a form's POST, the
// page the form is on (returnPath).
func (h *handler) signedIn(w http.ResponseWriter, r *http.Request) (session, bool) {
	if s, ok := h.session(r); ok {
		return s, true
	}
	if _, err := r.Cookie(CookieName); err == nil {
		http.SetCookie(w, clearedCookie())
	}
	http.Redirect(w, r, h.prefix+"/login?return="+url.QueryEscape(h.returnPath(r)), http.StatusSeeOther)
	return session{}, false
}

// safeReturn returns p when it is a local path under the handler's prefix
// (a page of this interface), else the start page: a return path never
// leads to another site ("//evil.example", "https://…", "/\evil") nor
// outside the interface.
func (h *handler) safeReturn(p string) string {
	home := h.prefix + "/"
	if p == "" || len(p) > 2048 || !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") ||
		strings.ContainsAny(p, "\\\r\n\t") || strings.ContainsFunc(p, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return home
	}
	u, err := url.Parse(p)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return home
	}
	if !strings.HasPrefix(u.Path, home) && u.Path != h.prefix {
		return home
	}
	if strings.HasPrefix(u.Path, h.prefix+"/login") {
		return home // never back into the sign-in itself
	}
	return p
}

// loginView is the sign-in page's data.
type loginView struct {
	Chooser  *Chooser
	Callback string
	Return   string
	Failed   bool
}

// beginLogin answers GET /login: the Login's chooser page, or its own
// redirect to an identity provider.
func (h *handler) beginLogin(w http.ResponseWriter, r *http.Request) {
	lang := requestLanguage(r)
	ret := h.safeReturn(r.URL.Query().Get("return"))
	callback := h.prefix + "/login/callback"
	ch, err := h.login.Begin(w, r, BeginParams{Return: ret, Callback: callback, Language: lang})
	if err != nil {
		h.log.LogAttrs(r.Context(), slog.LevelWarn, "webui sign-in could not begin", slog.Any("error", err))
		h.render(w, r, http.StatusBadRequest, "login.html", &view{Lang: lang, Data: loginView{Failed: true, Return: ret}})
		return
	}
	if ch == nil {
		return // the Login answered (a redirect to the identity provider)
	}
	h.render(w, r, http.StatusOK, "login.html", &view{Lang: lang, Data: loginView{Chooser: ch, Callback: callback, Return: ret}})
}

// finishLogin answers the sign-in callback: a session cookie and a 303 to
// the (checked) return path, or the sign-in failure page.
func (h *handler) finishLogin(w http.ResponseWriter, r *http.Request) {
	in, err := h.login.Finish(w, r)
	if err == nil {
		if why := refusedActor(in.Actor); why != "" {
			err = fmt.Errorf("%w: %s", ErrSignInRefused, why)
		}
	}
	lang := requestLanguage(r)
	if err != nil {
		if !errors.Is(err, ErrSignInRefused) {
			h.log.LogAttrs(r.Context(), slog.LevelError, "webui sign-in failed", slog.Any("error", err))
			h.errorPage(w, r, http.StatusInternalServerError, "error.500.body")
			return
		}
		h.log.LogAttrs(r.Context(), slog.LevelInfo, "webui sign-in refused", slog.Any("error", err))
		h.render(w, r, http.StatusBadRequest, "login.html", &view{Lang: lang, Data: loginView{Failed: true, Return: h.prefix + "/"}})
		return
	}
	if knownLanguage(in.Language) {
		lang = in.Language
	} else {
		lang = coaching.Finnish
	}
	a := in.Actor
	s := session{V: sessionVersion, ID: a.ID, Name: a.Name, Org: a.Organisation, Roles: slices.Clone(a.Roles),
		Relations: slices.Clone(a.Relations), Lang: lang, Exp: h.clock.Now().Add(h.ttl).Unix()}
	if !h.setSession(w, r, s) {
		return
	}
	http.Redirect(w, r, h.safeReturn(in.Return), http.StatusSeeOther)
}

// setSession writes s as the session cookie; false when it could not (the
// 500 page has been answered).
func (h *handler) setSession(w http.ResponseWriter, r *http.Request, s session) bool {
	v, err := seal(h.key, s)
	if err == nil && len(v) > maxCookie {
		err = errors.New("the session does not fit a cookie (too many roles or relations)")
	}
	if err != nil {
		h.log.LogAttrs(r.Context(), slog.LevelError, "webui session not written", slog.Any("error", err))
		h.errorPage(w, r, http.StatusInternalServerError, "error.500.body")
		return false
	}
	http.SetCookie(w, sessionCookie(v, time.Unix(s.Exp, 0)))
	return true
}

// logout deletes the session cookie and shows the sign-in page.
func (h *handler) logout(w http.ResponseWriter, r *http.Request) {
	lang := coaching.Finnish
	if s, ok := h.session(r); ok {
		lang = s.Lang
	}
	http.SetCookie(w, clearedCookie())
	http.Redirect(w, r, h.prefix+"/login?lang="+string(lang), http.StatusSeeOther)
}

// switchLanguage answers the language switch: the session in the chosen
// language (same expiry), back to the page it came from.
func (h *handler) switchLanguage(w http.ResponseWriter, r *http.Request) {
	s, ok := h.signedIn(w, r)
	if !ok {
		return
	}
	if err := r.ParseForm(); err != nil {
		h.errorPage(w, r, http.StatusBadRequest, "error.400.body")
		return
	}
	lang := coaching.Language(r.PostForm.Get("lang"))
	if !knownLanguage(lang) {
		h.errorPage(w, r, http.StatusBadRequest, "error.400.body")
		return
	}
	s.Lang = lang
	if !h.setSession(w, r, s) {
		return
	}
	http.Redirect(w, r, h.safeReturn(r.PostForm.Get("return")), http.StatusSeeOther)
}

// caseloadView is the start page's data.
type caseloadView struct {
	Status, Sort, Group, NoContact string
	Overdue, Flagged               bool
	// Scope is mine (the person's teams' cases) or org (the
	// organisation's, as far as the policy lets them read it); OrgScope:
	// the choice is offered.
	Scope    string
	OrgScope bool
	// OverdueCount counts the scope's open cases past their phase
	// deadline ("100+" past the count's bound); OverdueHref lists them.
	// Both are empty on a later page and when the list is filtered to
	// them already.
	OverdueCount, OverdueHref string
	Rows                      []template.HTML // see rowHTML
	// A filter's problem is beside its control (StatusError, …) and in
	// the summary (Errors); a cursor's (a page link gone stale) in the
	// summary only.
	StatusError, SortError, NoContactError, GroupError, ScopeError string
	Errors                                                         []formError
	Next                                                           string // the next page's link; empty after the last
	First                                                          string // the first page's link, on a later page
}

// caseloadPage answers GET /: the signed-in person's caseload in urgency
// order (or the order chosen), filtered by the form's query parameters —
// their teams' cases, or (scope=org, the default of a head of studies)
// the organisation's that the policy lets them read — with the count of
// the scope's open cases past their phase deadline.
func (h *handler) caseloadPage(w http.ResponseWriter, r *http.Request) {
	s, ok := h.signedIn(w, r)
	if !ok {
		return
	}
	u := &userView{Name: s.Name, Roles: s.Roles}
	q, cv := caseloadQuery(r.URL.Query())
	cv.Scope, cv.OrgScope = readScope(cv.Scope, u), u.ReadsOrganisation()
	status := http.StatusOK
	list := h.cl.Mine
	if cv.Scope == scopeOrg {
		// The organisation's cases: List asks the policy case by case,
		// so a row is one the person may read.
		list = h.cl.List
	}
	var (
		page caseload.Page
		err  error
	)
	switch {
	case cv.Scope == "":
		cv.Scope = scopeMine
		err = &coaching.ValidationError{Subject: "caseload query", Problems: []coaching.FieldProblem{{Field: "scope", Message: "must be mine or org"}}}
	case q.NoContactDays < 0:
		err = &coaching.ValidationError{Subject: "caseload query", Problems: []coaching.FieldProblem{{Field: "no_contact_days", Message: "not a number"}}}
	default:
		page, err = list(r.Context(), s.actor(), q)
	}
	var ve *coaching.ValidationError
	switch {
	case errors.As(err, &ve):
		status = http.StatusBadRequest
		cv.problems(ve, s.Lang)
	case err != nil:
		h.failed(w, r, err)
		return
	default:
		if q.Cursor == "" && !q.Overdue {
			if err := h.overdueCount(r, s.actor(), list, &cv); err != nil {
				h.failed(w, r, err)
				return
			}
		}
		cv.Rows = h.rowHTML(page.Rows, s.Lang)
		if page.Next != "" {
			nq := r.URL.Query()
			nq.Set("cursor", page.Next)
			cv.Next = h.prefix + "/?" + nq.Encode()
		}
		if q.Cursor != "" {
			fq := r.URL.Query()
			fq.Del("cursor")
			cv.First = h.prefix + "/?" + fq.Encode()
		}
	}
	h.render(w, r, status, "caseload.html", &view{Lang: s.Lang, User: u, Data: cv})
}

// overdueBound is how many overdue cases the start page counts at most.
const overdueBound = 100

// overdueCount counts the scope's open cases past their phase deadline
// (at most overdueBound: a head of studies' organisation may have many)
// and links to them.
func (h *handler) overdueCount(r *http.Request, actor coaching.Actor,
	list func(context.Context, coaching.Actor, caseload.Query) (caseload.Page, error), cv *caseloadView) error {
	page, err := list(r.Context(), actor, caseload.Query{Overdue: true, Limit: overdueBound})
	if err != nil {
		return err
	}
	cv.OverdueCount = strconv.Itoa(len(page.Rows))
	if page.Next != "" {
		cv.OverdueCount += "+"
	}
	cv.OverdueHref = h.prefix + "/?" + url.Values{"scope": {cv.Scope}, "overdue": {"1"}}.Encode()
	return nil
}

// rowHTML writes the caseload's rows as markup in Go rather than in the
// template: html/template calls an escaper through reflection for every
// action, a dozen a row, which made a 50-row page cost three times the
// same list as JSON (BenchmarkCaseloadPage); written here, a row is one
// action. Every value from the data is written with html.EscapeString
// into a text node or a double-quoted attribute, and the one link is the
// interface's own path with the case id path-escaped, so no value can
// leave its context. The tests parse the rows as they parse every page.
func (h *handler) rowHTML(rows []caseload.Row, lang coaching.Language) []template.HTML {
	out := make([]template.HTML, len(rows))
	var b strings.Builder
	text := func(s string) { b.WriteString(html.EscapeString(s)) }
	cell := func(s string) {
		b.WriteString("<td>")
		text(s)
		b.WriteString("</td>\n")
	}
	for i, r := range rows {
		b.Reset()
		switch {
		case r.Overdue:
			b.WriteString(`<tr class="overdue">`)
		case len(r.Flags) > 0:
			b.WriteString(`<tr class="flagged">`)
		default:
			b.WriteString("<tr>")
		}
		b.WriteString("\n<th scope=\"row\"><a href=\"")
		text(h.prefix + "/cases/" + url.PathEscape(string(r.CaseID)))
		b.WriteString("\">")
		text(r.Name)
		b.WriteString("</a></th>\n")
		cell(r.Group)
		cell(label("model.", r.Model, lang))
		b.WriteString("<td>")
		text(label("state."+r.Model+".", r.State, lang))
		for _, k := range [...]struct {
			on  bool
			key string
		}{{r.Paused, "badge.paused"}, {r.Closed, "badge.closed"}} {
			if k.on {
				b.WriteString(` <span class="badge">`)
				text(catalogue[k.key].in(lang))
				b.WriteString("</span>")
			}
		}
		b.WriteString("</td>\n<td>")
		if !r.PhaseDue.IsZero() {
			text(formatDate(coaching.DateOf(r.PhaseDue), lang))
		}
		if r.Overdue {
			b.WriteString(` <strong class="badge badge-alert">`)
			text(catalogue["badge.overdue"].in(lang))
			b.WriteString("</strong>")
		}
		b.WriteString("</td>\n<td>")
		if len(r.Flags) > 0 {
			b.WriteString(`<ul class="flags">`)
			for _, f := range r.Flags {
				b.WriteString("<li>")
				text(label("flag.", f, lang))
				b.WriteString("</li>")
			}
			b.WriteString("</ul>")
		}
		b.WriteString("</td>\n")
		alerts := ""
		if r.OpenAlerts > 0 {
			alerts = strconv.Itoa(r.OpenAlerts)
		}
		cell(alerts)
		contact := ""
		if !r.LastContact.IsZero() {
			contact = formatDate(r.LastContact, lang)
		}
		cell(contact)
		next := ""
		if n := r.Next; n != nil {
			next = formatDate(n.On, lang) + " " + label("planned.", string(n.Kind), lang)
			if n.Title != "" {
				next += ": " + n.Title
			}
		}
		cell(next)
		b.WriteString("</tr>")
		out[i] = template.HTML(b.String()) // every value above is escaped
	}
	return out
}

// caseloadQuery reads the filter form: status, sort, overdue, flagged,
// no_contact (days), group, scope (checked by the caller) and the page
// cursor. A number of days that does not parse as a whole number is -1,
// which the caller refuses as not a number before asking the caseload.
func caseloadQuery(v url.Values) (caseload.Query, caseloadView) {
	cv := caseloadView{Status: v.Get("status"), Sort: v.Get("sort"), Group: v.Get("group"), NoContact: v.Get("no_contact"),
		Overdue: v.Get("overdue") != "", Flagged: v.Get("flagged") != "", Scope: v.Get("scope")}
	q := caseload.Query{Status: caseload.CaseStatus(cv.Status), Sort: caseload.Sort(cv.Sort), Group: strings.TrimSpace(cv.Group),
		Overdue: cv.Overdue, Flagged: cv.Flagged, Cursor: v.Get("cursor")}
	if cv.NoContact != "" {
		n, err := strconv.Atoi(strings.TrimSpace(cv.NoContact))
		if err != nil || n < 0 {
			n = -1
		}
		q.NoContactDays = n
	}
	if cv.Status == "" {
		cv.Status = string(caseload.StatusOpen)
	}
	if cv.Sort == "" {
		cv.Sort = string(caseload.SortUrgency)
	}
	return q, cv
}

// caseloadProblems word the caseload's (English) validation messages of a
// query.
var caseloadProblems = []wording{
	{Prefix: "must be 0–3660 days", Key: "caseload.err.nocontact"},
	{Prefix: "not a cursor", Key: "caseload.err.cursor"},
	{Prefix: "not issued for this query", Key: "caseload.err.cursor"},
	{Prefix: "must be ", Key: "form.oneof"},
}

// problems puts the caseload's problems with the query beside the
// filter form's controls; a stale page link (cursor) is said in the
// summary only.
func (cv *caseloadView) problems(ve *coaching.ValidationError, lang coaching.Language) {
	controls := map[string]control{
		"status":          {Slot: &cv.StatusError, Href: "#f-status", Label: "caseload.status"},
		"sort":            {Slot: &cv.SortError, Href: "#f-sort", Label: "caseload.sort"},
		"no_contact_days": {Slot: &cv.NoContactError, Href: "#f-nocontact", Label: "caseload.nocontact"},
		"group":           {Slot: &cv.GroupError, Href: "#f-group", Label: "caseload.group"},
	}
	if cv.OrgScope {
		controls["scope"] = control{Slot: &cv.ScopeError, Href: "#f-scope", Label: "work.scope"}
	}
	placeProblems(&cv.Errors, ve, lang, caseloadProblems, controls)
}
