package ehoks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/hoks"
)

// The sync's names in the engine: the notice kind that asks for a push,
// the case record that remembers what eHOKS holds, the system rule the
// sync runs under and the audit entry of a pull.
const (
	// NoticeKindPush is the kind of the outbox notice that asks for a
	// case's plan in force to be sent to eHOKS ([PushNotices]). Its ID is
	// "ehoks_push:<case>:<version>", it has no recipient, and its Data
	// holds "version", the plan version that came into force.
	NoticeKindPush = "ehoks_push"
	// RecordPushed is the case record ([Pushed]) written after a push:
	// the HOKS's eHOKS id and the plan version eHOKS received.
	RecordPushed = "ehoks"
	// SystemRule is the rule [coaching.Engine.System] names when the sync
	// reads a plan and writes the record: the access log and audit trail
	// show the engine's actor under it.
	SystemRule = "ehoks_sync"
	// AuditKindSync and EventPulled name the audit entry of a
	// [Sync.Pull]: the number of differences found, not the differences.
	AuditKindSync coaching.AuditKind = "ehoks"
	EventPulled                      = "ehoks_pulled"
)

// PushNotices is the hook that queues a push to eHOKS: give it to the
// hoks service as hoks.ServiceOptions.InForce, and every version that
// comes into force (an approval, and the start, competence-reached and
// completion after it) enqueues, in the transaction that stores it, one
// notice of kind [NoticeKindPush] for [Sync.Send]. Its ID is its
// idempotency key, so a version is queued once however often the hook
// runs.
func PushNotices(id coaching.CaseID, v hoks.Version) []coaching.Notice {
	n := strconv.FormatInt(v.Number, 10)
	return []coaching.Notice{{
		ID:        NoticeKindPush + ":" + string(id) + ":" + n,
		CaseID:    id,
		Kind:      NoticeKindPush,
		Subject:   "HOKS version " + n + " to eHOKS",
		Data:      map[string]string{"version": n},
		CreatedAt: v.At,
		Status:    coaching.NoticePending,
	}}
}

// Pushed is the case record [RecordPushed]: which eHOKS HOKS the case's
// plan is, and which version of it eHOKS last received from the sync.
type Pushed struct {
	// ID is the HOKS's eHOKS id.
	ID int64 `json:"id"`
	// Version is the plan version last sent (its number in the case's
	// HOKS history, also sent to eHOKS as "versio").
	Version int64 `json:"version"`
	// At is when the push was recorded.
	At time.Time `json:"pushed_at"`
}

// maxPushRounds bounds how often one Send pushes again because a newer
// version came into force while it was pushing.
const maxPushRounds = 4

// SyncOptions configure a [Sync]. Every field is required.
type SyncOptions struct {
	// Engine is the engine the plans are kept in; it must have been given
	// hoks.Documents() and SystemKey.
	Engine *coaching.Engine
	// SystemKey is the engine's Options.SystemKey: the sync reads plans
	// and records pushes as the engine's actor (rule [SystemRule]), as no
	// user asks for it.
	SystemKey *coaching.SystemKey
	// API is eHOKS: a [*Client], or a stand-in in a test.
	API API
}

// Sync keeps eHOKS's copy of the cases' plans: it is the [coaching.Sender]
// of [NoticeKindPush] notices (a push after each version comes into force)
// and [Sync.Pull] compares eHOKS's copy with ours. It is safe for
// concurrent use.
type Sync struct {
	eng   *coaching.Engine
	actor coaching.Actor
	plans *hoks.Service
	api   API
	// locks serialise the pushes of one case within this process (two
	// notices of a case claimed in one round would otherwise both create
	// the HOKS, one of them adopting it). Other processes are not
	// serialised: Send is correct without it, only busier.
	locks [64]sync.Mutex
}

func (s *Sync) lock(id coaching.CaseID) *sync.Mutex {
	h := fnv.New32a()
	_, _ = h.Write([]byte(id))
	return &s.locks[h.Sum32()%uint32(len(s.locks))]
}

var _ coaching.Sender = (*Sync)(nil)

// NewSync checks opts and returns the sync.
func NewSync(opts SyncOptions) (*Sync, error) {
	if opts.Engine == nil || opts.API == nil {
		return nil, errors.New("ehoks: NewSync: Engine and API are required")
	}
	eng, actor, err := opts.Engine.System(opts.SystemKey, SystemRule)
	if err != nil {
		return nil, fmt.Errorf("ehoks: NewSync: %w", err)
	}
	plans, err := hoks.NewService(eng)
	if err != nil {
		return nil, fmt.Errorf("ehoks: NewSync: %w", err)
	}
	return &Sync{eng: eng, actor: actor, plans: plans, api: opts.API}, nil
}

// Send delivers a [NoticeKindPush] notice: it makes eHOKS hold the case's
// plan in force, then records the eHOKS id and the version on the case
// ([RecordPushed], audited as the engine's actor).
//
// It is idempotent, as at-least-once delivery needs. The plan sent is the
// case's latest version in force, not necessarily the notice's: a notice
// whose version eHOKS has, or a later one, is done without a request (an
// older version is never sent after a newer one). The first push creates
// the HOKS (POST); when eHOKS already has one for the study right — made
// by another system, or by a push whose answer or record a crash lost —
// it is adopted and replaced (PUT). Later pushes replace the HOKS with the
// recorded id. A crash after eHOKS took a plan and before the record was
// written only repeats the same PUT. When a newer version came into force
// during the push, Send pushes again, so eHOKS never ends on an older
// version than the record says.
//
// eHOKS's refusals (4xx: the plan, the study right) are
// [coaching.Permanent]: the notice dies and the host's OnDead alerts
// someone; eHOKS being down (5xx after the client's retries) is retried by
// the dispatcher; a refused account is [coaching.Misconfigured] and pauses
// the channel. A plan archived since is not sent. Errors carry no
// personal data.
func (s *Sync) Send(ctx context.Context, n coaching.Notice) error {
	if n.Kind != NoticeKindPush {
		return coaching.Permanent(fmt.Errorf("ehoks: Sync.Send: notice kind %q is not %q", n.Kind, NoticeKindPush))
	}
	if n.CaseID == "" {
		return coaching.Permanent(errors.New("ehoks: Sync.Send: the notice names no case"))
	}
	if v, err := strconv.ParseInt(n.Data["version"], 10, 64); err != nil || v < 1 {
		return coaching.Permanent(errors.New("ehoks: Sync.Send: the notice's data has no plan version"))
	}
	mu := s.lock(n.CaseID)
	mu.Lock()
	defer mu.Unlock()
	force := false
	for range maxPushRounds {
		done, err := s.push(ctx, n.CaseID, force)
		if err != nil {
			return classify(err)
		}
		if done {
			return nil
		}
		// A newer version came into force while this one was sent: push
		// that, even if the record already names it (its push may have
		// reached eHOKS before this one).
		force = true
	}
	return errors.New("ehoks: newer plan versions kept coming into force during the push; it is tried again later")
}

// push sends the case's plan in force once and records it. It reports
// done when the version it sent (or found sent) is still the one in force.
func (s *Sync) push(ctx context.Context, id coaching.CaseID, force bool) (bool, error) {
	v, err := s.plans.InForce(ctx, s.actor, id)
	if errors.Is(err, coaching.ErrNotFound) {
		return true, nil // archived since (or never approved): nothing to send
	}
	if err != nil {
		return false, err
	}
	rec, recorded, err := s.Pushed(ctx, id)
	if err != nil {
		return false, err
	}
	if recorded && !force && rec.Version >= v.Number {
		return true, nil
	}
	p := v.Plan
	if p.StudyRightOID == nil || *p.StudyRightOID == "" {
		return false, coaching.Permanent(&coaching.ValidationError{Subject: "HOKS", Problems: []coaching.FieldProblem{{Field: "opiskeluoikeus-oid", Message: "is required to send the plan to eHOKS"}}})
	}
	versio := int(v.Number)
	p.Version = &versio
	ehoksID := rec.ID
	if !recorded {
		var created bool
		if ehoksID, created, err = s.createOrAdopt(ctx, p); err != nil {
			return false, err
		}
		if created {
			return s.record(ctx, id, ehoksID, v.Number)
		}
	}
	if err := s.api.Put(ctx, ehoksID, p); err != nil {
		return false, err
	}
	return s.record(ctx, id, ehoksID, v.Number)
}

// createOrAdopt creates the study right's HOKS, or finds the one eHOKS
// has (created reports which).
func (s *Sync) createOrAdopt(ctx context.Context, p *hoks.Plan) (int64, bool, error) {
	created, err := s.api.Create(ctx, p)
	if err == nil {
		return created, true, nil
	}
	if !errors.Is(err, ErrExists) {
		return 0, false, err
	}
	got, err := s.api.GetByStudyRight(ctx, *p.StudyRightOID)
	switch {
	case errors.Is(err, ErrNotFound):
		// eHOKS refuses a second HOKS but shows none: an archived one.
		return 0, false, coaching.Permanent(errors.New("ehoks: eHOKS refuses a HOKS for the study right and shows none (archived?); eHOKS support can tell"))
	case err != nil:
		return 0, false, err
	case got.ID == nil:
		return 0, false, errors.New("ehoks: the study right's HOKS has no id")
	}
	return *got.ID, false, nil
}

// record writes what eHOKS now holds, unless the record says so already,
// and reports whether the version sent is still the latest in force.
func (s *Sync) record(ctx context.Context, id coaching.CaseID, ehoksID, version int64) (bool, error) {
	var done bool
	_, err := s.eng.ChangeCase(ctx, s.actor, coaching.OpChangeCase, id, func(ch *coaching.CaseChange) error {
		latest, err := inForceNumber(ch)
		if err != nil {
			return err
		}
		done = latest <= version
		rec, recorded, err := pushedOf(&ch.CaseView)
		if err != nil {
			return err
		}
		if recorded && rec.ID == ehoksID && rec.Version == version {
			return nil // a repeated push: nothing new to record
		}
		// Written even when it lowers the version recorded: a newer
		// version's push may have reached eHOKS before this one, and the
		// record must not claim what eHOKS may no longer hold.
		return ch.Record(RecordPushed, Pushed{ID: ehoksID, Version: version, At: ch.Now()}, "HOKS version "+strconv.FormatInt(version, 10)+" sent to eHOKS")
	})
	return done, err
}

// inForceNumber is the number of the case's latest version in force, as
// hoks.Service.InForce finds it; 0 when none is.
func inForceNumber(ch *coaching.CaseChange) (int64, error) {
	ds, err := ch.Documents(hoks.DocumentKind)
	if err != nil && !errors.Is(err, coaching.ErrNotFound) {
		return 0, err
	}
	for i := len(ds) - 1; i >= 0; i-- {
		st := hoks.Status(ds[i].Status)
		if st == hoks.StatusArchived {
			break
		}
		if st.InForce() {
			return ds[i].Version, nil
		}
	}
	return 0, nil
}

// Pushed returns the case's [RecordPushed] record: which eHOKS HOKS the
// plan is and the version last sent; found is false before the first
// push.
func (s *Sync) Pushed(ctx context.Context, id coaching.CaseID) (rec Pushed, found bool, err error) {
	err = s.eng.ReadCase(ctx, s.actor, coaching.OpReadCase, id, func(v *coaching.CaseView) error {
		rec, found, err = pushedOf(v)
		return err
	})
	return rec, found, err
}

func pushedOf(v *coaching.CaseView) (Pushed, bool, error) {
	rs, err := v.Records(coaching.RecordQuery{Names: []string{RecordPushed}, Latest: true})
	if err != nil || len(rs) == 0 {
		return Pushed{}, false, err
	}
	var p Pushed
	if err := json.Unmarshal(rs[len(rs)-1].Data, &p); err != nil {
		return Pushed{}, false, fmt.Errorf("ehoks: the case's %s record does not decode: %w", RecordPushed, err)
	}
	return p, true, nil
}

// classify marks what retrying cannot help: eHOKS's 4xx answers and a
// plan or argument refused before sending.
func classify(err error) error {
	if coaching.IsPermanent(err) || coaching.IsMisconfigured(err) {
		return err
	}
	if ae, ok := errorsAsAPI(err); ok && ae.Status >= 400 && ae.Status < 500 && ae.Status != http.StatusTooManyRequests {
		return coaching.Permanent(err)
	}
	var ve *coaching.ValidationError
	if errors.As(err, &ve) {
		return coaching.Permanent(err)
	}
	return err
}

// Pull reads eHOKS's copy of the case's plan and returns how it differs
// from ours ([hoks.Diff]: Before is ours, After is eHOKS's), after
// [Normalize] of both so that eHOKS's trimming and its writing of instants
// are no difference. Ours is the version last pushed ([RecordPushed]), so
// the differences are what was changed in eHOKS since — or, before any
// push, the plan in force, found in eHOKS by its study right.
//
// Pull never writes the plan: what to do with a difference is a person's
// decision (take it into a new draft, or push ours again). It records an
// audit entry ([AuditKindSync], [EventPulled]) with the number of
// differences and the versions compared, not their content. A case
// without a plan in force, or a study right eHOKS has no HOKS for, is a
// *coaching.NotFoundError or [ErrNotFound].
func (s *Sync) Pull(ctx context.Context, id coaching.CaseID) ([]hoks.Change, error) {
	ours, err := s.plans.InForce(ctx, s.actor, id)
	if err != nil {
		return nil, err
	}
	rec, recorded, err := s.Pushed(ctx, id)
	if err != nil {
		return nil, err
	}
	var theirs *hoks.Plan
	if recorded {
		if rec.Version != ours.Number {
			if ours, err = s.plans.Version(ctx, s.actor, id, rec.Version); err != nil {
				return nil, err
			}
		}
		theirs, err = s.api.Get(ctx, rec.ID)
	} else {
		if ours.Plan.StudyRightOID == nil {
			return nil, &coaching.ValidationError{Subject: "HOKS", Problems: []coaching.FieldProblem{{Field: "opiskeluoikeus-oid", Message: "is required to find the plan in eHOKS"}}}
		}
		theirs, err = s.api.GetByStudyRight(ctx, *ours.Plan.StudyRightOID)
	}
	if err != nil {
		return nil, err
	}
	a, err := Normalize(ours.Plan)
	if err != nil {
		return nil, err
	}
	b, err := Normalize(theirs)
	if err != nil {
		return nil, err
	}
	changes := hoks.Diff(a, b)
	var ehoksID int64
	if theirs.ID != nil {
		ehoksID = *theirs.ID
	}
	payload, err := json.Marshal(struct {
		EHOKSID     int64 `json:"ehoks_id"`
		Version     int64 `json:"version"`
		Differences int   `json:"differences"`
	}{ehoksID, ours.Number, len(changes)})
	if err != nil {
		return nil, err
	}
	_, err = s.eng.ChangeCase(ctx, s.actor, coaching.OpChangeCase, id, func(ch *coaching.CaseChange) error {
		ch.Audit(AuditKindSync, EventPulled, "eHOKS's copy compared with version "+strconv.FormatInt(ours.Number, 10), payload)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return changes, nil
}

// Route is a [coaching.Sender] that hands each notice to the sender of
// its kind, and every other notice to fallback: a dispatcher claims every
// due notice, whatever its kind, so a host that runs one dispatcher wires
// its e-mail sender and the eHOKS sync through it:
//
//	coaching.NewDispatcher(store, ehoks.Route(map[string]coaching.Sender{
//		ehoks.NoticeKindPush: sync,
//	}, mail), &coaching.DispatcherOptions{Channel: "email"})
//
// The dispatcher's options (backoff, attempts, Channel, pause) are then
// shared: a [coaching.Misconfigured] error of either sender pauses both.
// A nil fallback makes a notice of another kind a [coaching.Permanent]
// error.
func Route(byKind map[string]coaching.Sender, fallback coaching.Sender) coaching.Sender {
	routes := make(map[string]coaching.Sender, len(byKind))
	for k, s := range byKind {
		routes[k] = s
	}
	return coaching.SenderFunc(func(ctx context.Context, n coaching.Notice) error {
		if s, ok := routes[n.Kind]; ok && s != nil {
			return s.Send(ctx, n)
		}
		if fallback == nil {
			return coaching.Permanent(fmt.Errorf("ehoks: Route: no sender for notice kind %q", n.Kind))
		}
		return fallback.Send(ctx, n)
	})
}
