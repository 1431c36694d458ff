package httpapi

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"

	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/coaching/attendance"
	"github.com/valmennus/valmennus/hoks"
	"github.com/valmennus/valmennus/outcomes"
	"github.com/valmennus/valmennus/sis"
)

// register lists the service's routes (Go's method-and-path patterns).
// The OpenAPI test checks openapi.json against exactly this list.
func (h *Handler) register() {
	h.routes = []route{
		{method: "GET", pattern: "/healthz", handler: h.health, public: true},
		{method: "GET", pattern: "/readyz", handler: h.ready, public: true},
		{method: "GET", pattern: "/openapi.json", handler: h.openAPIDoc, public: true},
		{method: "POST", pattern: "/enrolments", handler: h.enrol},
		{method: "POST", pattern: "/imports", handler: h.importStudents},
		{method: "GET", pattern: "/cases/{case}", handler: h.getCase},
		{method: "GET", pattern: "/cases/{case}/events", handler: h.availableEvents},
		{method: "POST", pattern: "/cases/{case}/events/{event}", handler: h.fire},
		{method: "POST", pattern: "/attendance", handler: h.recordAttendance},
		{method: "GET", pattern: "/cases/{case}/attendance", handler: h.attendance},
		{method: "GET", pattern: "/cases/{case}/flags", handler: h.flags},
		{method: "GET", pattern: "/cases/{case}/hoks", handler: h.getHOKS},
		{method: "PUT", pattern: "/cases/{case}/hoks", handler: h.putHOKS},
		{method: "POST", pattern: "/cases/{case}/hoks/approval", handler: h.approveHOKS},
		{method: "GET", pattern: "/cases/{case}/hoks/summary", handler: h.hoksSummary},
		{method: "GET", pattern: "/cases/{case}/notices", handler: h.notices},
		{method: "GET", pattern: "/figures/valo", handler: h.valoFigures},
		{method: "GET", pattern: "/models", handler: h.listModels},
		{method: "GET", pattern: "/models/{model}", handler: h.modelDocument},
		{method: "GET", pattern: "/models/{model}/diagram", handler: h.modelDiagram},
	}
	for _, rt := range h.routes {
		h.mux.Handle(rt.method+" "+rt.pattern, h.handle(rt))
	}
}

// Routes returns the registered routes as "METHOD /pattern".
func (h *Handler) Routes() []string {
	out := make([]string, len(h.routes))
	for i, rt := range h.routes {
		out[i] = rt.method + " " + rt.pattern
	}
	return out
}

func (h *Handler) openAPIDoc(*http.Request, coaching.Actor) (int, any, error) {
	return http.StatusOK, rawBody{contentType: "application/json", data: openAPI}, nil
}

// enrol: POST /enrolments with coaching.EnrolParams as JSON.
//
// An Idempotency-Key makes the enrolment safe to repeat (after a 503 whose
// commit may have gone through, a lost answer): the key decides the new
// case's id (enrolmentCaseID), so a repeat cannot open a second case.
// When the key's case exists (looked for first, and again when the
// enrolment is refused as a duplicate: two repeats at once), it is the
// answer: 200 instead of 201, the case as it is now — provided it is of
// the model and participant the repeat names; otherwise the key was used
// for another enrolment (422 idempotency-key-reused). A body that names
// its case_id needs no key (a repeat is a 409 duplicate) and may not have
// one: the two would disagree about the case's id.
func (h *Handler) enrol(r *http.Request, a coaching.Actor) (int, any, error) {
	var p coaching.EnrolParams
	if err := decodeBody(r, &p); err != nil {
		return 0, nil, err
	}
	key, err := idempotencyKey(r)
	if err != nil {
		return 0, nil, err
	}
	if key != "" {
		if p.CaseID != "" {
			return 0, nil, &coaching.ValidationError{Subject: "enrolment", Problems: []coaching.FieldProblem{{Field: "case_id",
				Message: "give either case_id or an Idempotency-Key header, not both: a repeat of an enrolment with a case_id is answered 409 (the case exists)"}}}
		}
		p.CaseID = enrolmentCaseID(a, p, key)
		if st, c, ok, err := h.enrolmentRepeated(r, a, p); ok {
			return st, c, err
		}
	}
	c, err := h.eng.Enrol(r.Context(), a, p)
	if key != "" && errors.Is(err, coaching.ErrDuplicate) {
		// The case, or a participant id the body gives, exists: the
		// first attempt may have committed meanwhile.
		if st, c, ok, err := h.enrolmentRepeated(r, a, p); ok {
			return st, c, err
		}
	}
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, c, nil
}

// enrolmentRepeated answers an enrolment whose Idempotency-Key's case
// exists (ok): that case if the repeat names its model and participant,
// else the key's mismatch. ok is false when the key's case is not there
// (or cannot be shown to its enroller: a policy that lets them enrol but
// not read; the enrolment then proceeds and answers as it would).
func (h *Handler) enrolmentRepeated(r *http.Request, a coaching.Actor, p coaching.EnrolParams) (int, any, bool, error) {
	c, err := h.eng.Case(r.Context(), a, p.CaseID)
	switch {
	case errors.Is(err, coaching.ErrForbidden) || errors.Is(err, coaching.ErrNotFound):
		return 0, nil, false, nil
	case err != nil:
		return 0, nil, true, err
	}
	participant := p.ExistingParticipant
	if participant == "" {
		participant = p.Participant.ID
	}
	if c.Model != p.Model || (participant != "" && c.ParticipantID != participant) {
		return 0, nil, true, fmt.Errorf("%w: this Idempotency-Key was used for an enrolment of another model or participant (case %q)",
			coaching.ErrIdempotencyMismatch, c.ID)
	}
	return http.StatusOK, c, true, nil
}

// idempotencyKey reads the Idempotency-Key header: at most 200 characters
// of printable ASCII, given once ("" when absent).
func idempotencyKey(r *http.Request) (string, error) {
	vs := r.Header.Values("Idempotency-Key")
	if len(vs) == 0 {
		return "", nil
	}
	bad := func(reason string) error {
		return &coaching.ValidationError{Subject: "request", Problems: []coaching.FieldProblem{{Field: "Idempotency-Key", Message: reason}}}
	}
	if len(vs) > 1 {
		return "", bad("must be given once")
	}
	k := vs[0]
	if k == "" || len(k) > 200 {
		return "", bad("must be 1 to 200 characters")
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 0x20 || k[i] > 0x7e {
			return "", bad("must be printable ASCII")
		}
	}
	return k, nil
}

// enrolmentCaseID is the id of the case p opens under key: a host-given
// case id (coaching.OrganisationCaseID: the case's organisation, a colon)
// whose own part is a digest of the enrolling actor and the key, so that
// two actors' keys never meet and the id reveals neither.
func enrolmentCaseID(a coaching.Actor, p coaching.EnrolParams, key string) coaching.CaseID {
	org := a.Organisation // the organisation of an existing participant's case
	if p.ExistingParticipant == "" {
		org = p.Participant.Organisation
	}
	sum := sha256.Sum256([]byte(string(a.Organisation) + "\x00" + a.ID + "\x00" + key))
	return coaching.OrganisationCaseID(org, "enrolment-"+hex.EncodeToString(sum[:16]))
}

// importStudents: POST /imports?model=…&strict=true&team_role=… with a CSV
// body.
//
// The importing staff member joins every new case's support team, so that
// they (and not only the head of studies) may act on the cases they just
// created: in the team_role given, or else in their own first team role
// (personal_tutor, coach, …). An importer who holds none (a head of
// studies) joins no team.
func (h *Handler) importStudents(r *http.Request, a coaching.Actor) (int, any, error) {
	q := r.URL.Query()
	strict, err := boolParam(q.Get("strict"), "strict")
	if err != nil {
		return 0, nil, err
	}
	opts := sis.Options{Model: q.Get("model"), Organisation: a.Organisation, Strict: strict}
	if role := importerTeamRole(a, q.Get("team_role")); role != "" {
		opts.Team = []coaching.TeamMember{{ActorID: a.ID, Role: role, Name: a.ID}}
	}
	rep, err := sis.Import(r.Context(), h.eng, a, bodyReader{r.Body}, opts)
	if err != nil {
		return 0, nil, err
	}
	if strict && len(rep.Problems) > 0 {
		// Nothing was enrolled: the file is the invalid input.
		ve := &coaching.ValidationError{Subject: "import file"}
		for _, p := range rep.Problems {
			ve.Problems = append(ve.Problems, coaching.FieldProblem{Field: fmt.Sprintf("line %d: %s", p.Line, p.Column), Message: p.Message})
		}
		return 0, nil, ve
	}
	// Empty lists are [] in the answer, not null.
	if rep.Enrolled == nil {
		rep.Enrolled = []sis.Enrolled{}
	}
	if rep.Problems == nil {
		rep.Problems = []sis.RowProblem{}
	}
	return http.StatusOK, rep, nil
}

// importerTeamRole is the role the importer takes on the new cases' teams:
// the one asked for, or else the first of their roles that a staff member
// holds on a support team; "" when they hold none.
func importerTeamRole(a coaching.Actor, asked string) coaching.Role {
	if asked != "" {
		return coaching.Role(asked)
	}
	for _, r := range a.Roles {
		if r != coaching.RoleGuardian && slices.Contains(coaching.TeamRoles, r) {
			return r
		}
	}
	return ""
}

// caseView is a case with its audit trail.
type caseView struct {
	Case  coaching.Case         `json:"case"`
	Audit []coaching.AuditEntry `json:"audit"`
}

func (h *Handler) getCase(r *http.Request, a coaching.Actor) (int, any, error) {
	id := coaching.CaseID(r.PathValue("case"))
	c, err := h.eng.Case(r.Context(), a, id)
	if err != nil {
		return 0, nil, err
	}
	var trail []coaching.AuditEntry
	err = h.eng.ReadCase(r.Context(), a, coaching.OpReadCase, id, func(v *coaching.CaseView) error {
		trail, err = v.AuditTrail()
		return err
	})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, caseView{Case: c, Audit: trail}, nil
}

func (h *Handler) availableEvents(r *http.Request, a coaching.Actor) (int, any, error) {
	var evs []string
	err := h.eng.ReadCase(r.Context(), a, coaching.OpFireEvent, coaching.CaseID(r.PathValue("case")), func(v *coaching.CaseView) error {
		var err error
		evs, err = v.Available()
		return err
	})
	if err != nil {
		return 0, nil, err
	}
	if evs == nil {
		evs = []string{}
	}
	return http.StatusOK, map[string][]string{"events": evs}, nil
}

// fireRequest is the body of POST /cases/{case}/events/{event}; the body
// may be empty.
type fireRequest struct {
	Reason  string          `json:"reason,omitempty"`
	Payload json.RawMessage `json:"payload,omitempty"`
	// ExpectedVersion (or an If-Match header) makes a stale update a 409.
	ExpectedVersion int64 `json:"expected_version,omitempty"`
}

func (h *Handler) fire(r *http.Request, a coaching.Actor) (int, any, error) {
	var in fireRequest
	if r.ContentLength != 0 {
		if err := decodeBody(r, &in); err != nil {
			return 0, nil, err
		}
	}
	version, err := ifMatch(r)
	if err != nil {
		return 0, nil, err
	}
	if in.ExpectedVersion == 0 {
		in.ExpectedVersion = version
	}
	opts := &coaching.FireOptions{Reason: in.Reason, ExpectedVersion: in.ExpectedVersion, IdempotencyKey: r.Header.Get("Idempotency-Key")}
	if len(in.Payload) > 0 {
		opts.Payload = in.Payload
	}
	res, err := h.eng.Fire(r.Context(), a, coaching.CaseID(r.PathValue("case")), r.PathValue("event"), opts)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]any{"case": res.Case, "entry": res.Entry, "replayed": res.Replayed}, nil
}

// attendanceRequest is a lesson's or a day's marks for a group.
type attendanceRequest struct {
	Marks []attendance.MarkInput `json:"marks"`
}

func (h *Handler) recordAttendance(r *http.Request, a coaching.Actor) (int, any, error) {
	var in attendanceRequest
	if err := decodeBody(r, &in); err != nil {
		return 0, nil, err
	}
	res, err := h.att.Record(r.Context(), a, in.Marks)
	if err != nil {
		// A mark on another organisation's case is answered by
		// attendance as one on a missing case (ForbiddenError.Conceal).
		return 0, nil, err
	}
	return http.StatusOK, res, nil
}

func (h *Handler) attendance(r *http.Request, a coaching.Actor) (int, any, error) {
	var from, to coaching.Date
	pr := &coaching.ValidationError{Subject: "query"}
	for _, p := range []struct {
		name string
		d    *coaching.Date
	}{{"from", &from}, {"to", &to}} {
		if v := r.URL.Query().Get(p.name); v != "" {
			d, err := coaching.ParseDate(v)
			if err != nil {
				pr.Problems = append(pr.Problems, coaching.FieldProblem{Field: p.name, Message: "must be a date YYYY-MM-DD"})
			}
			*p.d = d
		}
	}
	if len(pr.Problems) > 0 {
		return 0, nil, pr
	}
	marks, err := h.att.Marks(r.Context(), a, coaching.CaseID(r.PathValue("case")), from, to)
	if err != nil {
		return 0, nil, err
	}
	if marks == nil {
		marks = []attendance.Mark{} // none is [], as the document has it, not null
	}
	return http.StatusOK, map[string][]attendance.Mark{"marks": marks}, nil
}

// getHOKS returns the latest version as eHOKS JSON; its number is the
// ETag, to send back as If-Match with a change.
func (h *Handler) getHOKS(r *http.Request, a coaching.Actor) (int, any, error) {
	v, err := h.plans.Current(r.Context(), a, coaching.CaseID(r.PathValue("case")))
	if err != nil {
		return 0, nil, err
	}
	data, err := hoks.Encode(v.Plan)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, versioned{rawBody{contentType: "application/json", data: data}, v}, nil
}

// putHOKS stores a changed plan (eHOKS JSON) as a draft or an update; the
// If-Match header names the version it was made from (none for the first).
func (h *Handler) putHOKS(r *http.Request, a coaching.Actor) (int, any, error) {
	basedOn, err := ifMatch(r)
	if err != nil {
		return 0, nil, err
	}
	data, err := readAll(r)
	if err != nil {
		return 0, nil, err
	}
	p, err := hoks.Decode(data, nil)
	if err != nil {
		return 0, nil, err
	}
	v, err := h.plans.SaveDraft(r.Context(), a, coaching.CaseID(r.PathValue("case")), basedOn, p)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, versionView(v), nil
}

// approvalRequest approves the version named by If-Match, on the given
// date (default: today in Helsinki).
type approvalRequest struct {
	On coaching.Date `json:"on,omitzero"`
}

func (h *Handler) approveHOKS(r *http.Request, a coaching.Actor) (int, any, error) {
	basedOn, err := ifMatch(r)
	if err != nil {
		return 0, nil, err
	}
	if basedOn == 0 {
		return 0, nil, &coaching.ValidationError{Subject: "request", Problems: []coaching.FieldProblem{{Field: "If-Match", Message: "required: the version being approved"}}}
	}
	var in approvalRequest
	if r.ContentLength != 0 {
		if err := decodeBody(r, &in); err != nil {
			return 0, nil, err
		}
	}
	if in.On.IsZero() {
		in.On = coaching.DateOf(h.eng.Clock().Now())
	}
	v, err := h.plans.Approve(r.Context(), a, coaching.CaseID(r.PathValue("case")), basedOn, in.On)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, versionView(v), nil
}

func (h *Handler) hoksSummary(r *http.Request, a coaching.Actor) (int, any, error) {
	sum, err := h.plans.Summary(r.Context(), a, coaching.CaseID(r.PathValue("case")))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, sum, nil
}

// hoksVersion describes a stored HOKS version (without the plan).
type hoksVersion struct {
	Version int64       `json:"version"`
	Status  hoks.Status `json:"status"`
	By      string      `json:"by"`
	Surveys []string    `json:"surveys,omitempty"`
	// Advisories are findings stricter than eHOKS (the same JSON paths as
	// errors): worth fixing, never blocking.
	Advisories []coaching.FieldProblem `json:"advisories,omitempty"`
}

func versionView(v hoks.Version) hoksVersion {
	out := hoksVersion{Version: v.Number, Status: v.Status, By: v.By, Advisories: v.Advisories}
	for _, d := range v.Surveys {
		if d.Excluded != "" {
			out.Surveys = append(out.Surveys, fmt.Sprintf("%s: not sent (%s)", d.Survey, d.Excluded))
		} else {
			out.Surveys = append(out.Surveys, fmt.Sprintf("%s: invitation queued", d.Survey))
		}
	}
	return out
}

// versioned is a raw body with the HOKS version as its ETag.
type versioned struct {
	rawBody
	v hoks.Version
}

func (h *Handler) notices(r *http.Request, a coaching.Actor) (int, any, error) {
	var ns []coaching.Notice
	err := h.eng.ReadCase(r.Context(), a, coaching.OpReadNotices, coaching.CaseID(r.PathValue("case")), func(v *coaching.CaseView) error {
		var err error
		ns, err = v.Notices()
		return err
	})
	if err != nil {
		return 0, nil, err
	}
	if ns == nil {
		ns = []coaching.Notice{}
	}
	return http.StatusOK, map[string][]coaching.Notice{"notices": ns}, nil
}

// valoFigures: the VALO table and the ESF indicators of the actor's
// organisation (a funder: across organisations, with small counts
// suppressed — outcomes' VALOTable.Suppress), over the VALO model's
// admitted participants.
func (h *Handler) valoFigures(r *http.Request, a coaching.Actor) (int, any, error) {
	valo, esf := outcomes.NewVALO(nil), outcomes.NewESF()
	if _, err := outcomes.FromEngine(r.Context(), h.eng, a, coaching.CaseQuery{Model: coaching.ModelVALO}, admittedOnly{valo}, admittedOnly{esf}); err != nil {
		return 0, nil, err
	}
	table, err := valo.Table(outcomes.SeedOptions())
	if err != nil {
		return 0, nil, err
	}
	report := esf.Report()
	if a.HasRole(coaching.RoleFunder) {
		// Figures that leave the organisation: small-number protection.
		if table, err = table.Suppress(outcomes.DefaultSuppressionThreshold); err != nil {
			return 0, nil, err
		}
		if report, err = report.Suppress(outcomes.DefaultSuppressionThreshold); err != nil {
			return 0, nil, err
		}
	}
	return http.StatusOK, map[string]any{"valo": table, "esf": report}, nil
}

// admittedOnly passes on the participants who were admitted: a declined
// applicant is not in the figures.
type admittedOnly struct{ outcomes.Sink }

func (a admittedOnly) Add(in *outcomes.Input) {
	if in.Case.State != coaching.ValoDeclined {
		a.Sink.Add(in)
	}
}

func (h *Handler) listModels(*http.Request, coaching.Actor) (int, any, error) {
	return http.StatusOK, map[string][]string{"models": h.models}, nil
}

func (h *Handler) model(r *http.Request) (*coaching.Model, error) {
	m, ok := h.eng.Model(r.PathValue("model"))
	if !ok || !slices.Contains(h.models, m.Name()) {
		return nil, &coaching.NotFoundError{Kind: "model", ID: r.PathValue("model")}
	}
	return m, nil
}

// modelDocument returns the model as its JSON document (coaching.LoadModel
// reads it back, given the same registry).
func (h *Handler) modelDocument(r *http.Request, _ coaching.Actor) (int, any, error) {
	m, err := h.model(r)
	if err != nil {
		return 0, nil, err
	}
	data, err := coaching.ModelJSON(m, h.registry)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, rawBody{contentType: "application/json", data: data}, nil
}

func (h *Handler) modelDiagram(r *http.Request, _ coaching.Actor) (int, any, error) {
	m, err := h.model(r)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, rawBody{contentType: "text/plain; charset=utf-8", data: []byte(m.Mermaid())}, nil
}

func boolParam(v, name string) (bool, error) {
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, &coaching.ValidationError{Subject: "query", Problems: []coaching.FieldProblem{{Field: name, Message: "must be true or false"}}}
	}
	return b, nil
}

// flags serves the case's early-warning flags (they are attendance's, not
// the case row's).
func (h *Handler) flags(r *http.Request, a coaching.Actor) (int, any, error) {
	flags, err := h.att.Flags(r.Context(), a, coaching.CaseID(r.PathValue("case")))
	if err != nil {
		return 0, nil, err
	}
	if flags == nil {
		flags = []attendance.RiskFlag{}
	}
	return http.StatusOK, map[string][]attendance.RiskFlag{"flags": flags}, nil
}
