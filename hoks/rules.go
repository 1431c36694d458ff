package hoks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/valmennus/valmennus/coaching"
)

// RequireApprovedPlan is the rule that skill acquisition needs an approved
// HOKS in force with at least one qualification unit (vocational, common or
// local) to acquire. It reads the case's HOKS versions through the engine.
func RequireApprovedPlan() coaching.Rule {
	return coaching.NewRule("approved_hoks_with_units", func(ctx context.Context, t *coaching.Transition) error {
		v, err := planInForce(ctx, t)
		if err != nil {
			return err
		}
		if len(v.Plan.VocationalUnits)+len(v.Plan.CommonUnits)+len(v.Plan.LocalUnits) == 0 {
			return errors.New("the approved HOKS has no qualification unit to acquire")
		}
		return nil
	})
}

// RequirePlannedDemonstration is the rule that a competence demonstration
// needs one planned in the HOKS in force (osaamisen osoittaminen in a unit
// to acquire).
func RequirePlannedDemonstration() coaching.Rule {
	return coaching.NewRule("planned_demonstration", func(ctx context.Context, t *coaching.Transition) error {
		v, err := planInForce(ctx, t)
		if err != nil {
			return err
		}
		if len(plannedDemonstrations(v.Plan)) == 0 {
			return errors.New("the HOKS in force plans no competence demonstration")
		}
		return nil
	})
}

func planInForce(ctx context.Context, t *coaching.Transition) (Version, error) {
	ds, err := t.Documents(ctx, DocumentKind)
	if err != nil {
		return Version{}, err
	}
	v, err := inForce(t.Case.ID, ds)
	if errors.Is(err, coaching.ErrNotFound) {
		return Version{}, errors.New("the HOKS has not been approved")
	}
	return v, err
}

// AttachRules adds the HOKS rules to a model spec's events: acquisition
// needs an approved plan with units, demonstration a planned demonstration.
// It also declares the [RecordDemonstrationResult] record's type, so that a
// result written on any path is checked.
//
//	spec := coaching.VALOSpec()
//	err := hoks.AttachRules(&spec, coaching.ValoStartAcquisition, coaching.ValoStartDemonstration)
func AttachRules(spec *coaching.ModelSpec, acquisitionEvent, demonstrationEvent string) error {
	// A result given to the engine directly, as JSON, is decoded into its
	// type and checked like one RecordResult stores.
	spec.SetRecord(RecordDemonstrationResult, DemonstrationResult{})
	if err := spec.AddRules(acquisitionEvent, RequireApprovedPlan()); err != nil {
		return err
	}
	return spec.AddRules(demonstrationEvent, RequirePlannedDemonstration())
}

// unitRef is a unit to acquire as demonstration results name it: its code
// URI, or a local unit's name.
type unitRef struct {
	key    string
	points int // competence points when the plan has them (local units)
	demos  int
}

func plannedUnits(p *Plan) []unitRef {
	var out []unitRef
	for _, u := range p.VocationalUnits {
		out = append(out, unitRef{key: deref(u.UnitCodeURI), demos: len(u.Demonstrations)})
	}
	for _, u := range p.CommonUnits {
		n := 0
		for _, a := range u.SubAreas {
			n += len(a.Demonstrations)
		}
		out = append(out, unitRef{key: deref(u.UnitCodeURI), demos: n})
	}
	for _, u := range p.LocalUnits {
		r := unitRef{key: deref(u.Name), demos: len(u.Demonstrations)}
		if u.CompetencePoints != nil {
			r.points = *u.CompetencePoints
		}
		out = append(out, r)
	}
	return out
}

func plannedDemonstrations(p *Plan) []string {
	var out []string
	for _, u := range plannedUnits(p) {
		if u.demos > 0 {
			out = append(out, u.key)
		}
	}
	return out
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// Grade is a competence assessment on a KOSKI scale: "1"–"5" (five-level
// scale, arviointiasteikkoammatillinen15), or "hyvaksytty" / "hylatty"
// (pass / fail).
type Grade string

// Passed reports whether the grade is a pass (anything but hylatty).
func (g Grade) Passed() bool { return g != GradeFail }

// Pass and fail grades.
const (
	GradePass Grade = "hyvaksytty"
	GradeFail Grade = "hylatty"
)

// RecordDemonstrationResult is the record name of a demonstration result
// on a case.
const RecordDemonstrationResult = "demonstration_result"

// DemonstrationResult is the outcome of a competence demonstration of one
// unit. A passing result marks the unit acquired and adds its competence
// points (osaamispisteet) to the learner's progress.
type DemonstrationResult struct {
	// Unit is the unit's code URI (tutkinnonosat_…) or a local unit's name,
	// as in the HOKS.
	Unit  string        `json:"unit" validate:"required,max=200"`
	Grade Grade         `json:"grade" validate:"required,oneof=1 2 3 4 5 hyvaksytty hylatty"`
	Date  coaching.Date `json:"date" validate:"required"`
	// CompetencePoints of the unit (from the qualification requirements;
	// eHOKS does not carry them for national units).
	CompetencePoints int      `json:"competence_points" validate:"gte=0,lte=200"`
	Assessors        []string `json:"assessors,omitempty" validate:"max=10,dive,required,max=200"`
}

// RecordResult stores a demonstration result on the case after checking
// that the unit is one to acquire in the HOKS in force and the date is not
// in the future; it returns the learner's progress after it.
func (s *Service) RecordResult(ctx context.Context, actor coaching.Actor, id coaching.CaseID, r DemonstrationResult) (Progress, error) {
	if err := coaching.ValidateStruct("demonstration result", r); err != nil {
		return Progress{}, err
	}
	if r.Date.After(s.today()) {
		return Progress{}, &coaching.ValidationError{Subject: "demonstration result", Problems: []coaching.FieldProblem{{Field: "date", Message: "is in the future"}}}
	}
	v, err := s.InForce(ctx, actor, id)
	if err != nil {
		return Progress{}, err
	}
	found := false
	for _, u := range plannedUnits(v.Plan) {
		if u.key == r.Unit {
			found = true
		}
	}
	if !found {
		return Progress{}, &coaching.ValidationError{Subject: "demonstration result", Problems: []coaching.FieldProblem{{Field: "unit",
			Message: fmt.Sprintf("%q is not a unit to acquire in the HOKS in force", r.Unit)}}}
	}
	_, err = s.eng.ChangeCase(ctx, actor, coaching.OpChangeCase, id, func(ch *coaching.CaseChange) error {
		return ch.Record(RecordDemonstrationResult, r, "demonstration "+r.Unit+": "+string(r.Grade))
	})
	if err != nil {
		return Progress{}, err
	}
	return s.Progress(ctx, actor, id)
}

// Progress is a learner's progress on the units of the HOKS in force.
type Progress struct {
	UnitsPlanned  int
	UnitsAcquired int
	// PointsAchieved sums the competence points of the acquired units.
	PointsAchieved int
	// Acquired lists the acquired units (code URI or local unit name).
	Acquired []string
}

// Progress computes the learner's progress from the HOKS in force and the
// demonstration results recorded on the case: a unit counts as acquired
// when its latest result is a pass. Progress is part of the plan's summary:
// the policy's read_hoks_summary rule decides who may see it (the default
// adds the guardians of a minor to those who read the plan).
func (s *Service) Progress(ctx context.Context, actor coaching.Actor, id coaching.CaseID) (Progress, error) {
	ds, results, err := s.summaryReads(ctx, actor, id)
	if err != nil {
		return Progress{}, err
	}
	return progress(id, results, ds)
}

// summaryReads reads, under the policy's read_hoks_summary rule, what the
// summary and the progress are computed from: every HOKS version of the
// case and its demonstration results (only those of its records).
func (s *Service) summaryReads(ctx context.Context, actor coaching.Actor, id coaching.CaseID) ([]coaching.Document, []coaching.Record, error) {
	var (
		ds      []coaching.Document
		results []coaching.Record
	)
	err := s.eng.ReadCase(ctx, actor, coaching.OpReadHOKSSummary, id, func(v *coaching.CaseView) error {
		var err error
		if ds, err = v.Documents(DocumentKind); err != nil {
			return err
		}
		results, err = v.Records(coaching.RecordQuery{Names: []string{RecordDemonstrationResult}})
		return err
	})
	return ds, results, err
}

// progress computes the progress from the case's demonstration results
// and its HOKS versions, already read under the policy.
func progress(id coaching.CaseID, results []coaching.Record, ds []coaching.Document) (Progress, error) {
	v, err := inForce(id, ds)
	if err != nil {
		return Progress{}, err
	}
	latest := map[string]DemonstrationResult{}
	for _, rec := range results {
		var r DemonstrationResult
		if err := json.Unmarshal(rec.Data, &r); err != nil {
			return Progress{}, fmt.Errorf("hoks: a stored demonstration result of case %s does not decode: %w", id, err)
		}
		latest[r.Unit] = r
	}
	units := plannedUnits(v.Plan)
	p := Progress{UnitsPlanned: len(units)}
	for _, u := range units {
		r, ok := latest[u.key]
		if !ok || !r.Grade.Passed() {
			continue
		}
		p.UnitsAcquired++
		p.Acquired = append(p.Acquired, u.key)
		points := r.CompetencePoints
		if points == 0 {
			points = u.points
		}
		p.PointsAchieved += points
	}
	return p, nil
}

// String summarises progress for a tutor.
func (p Progress) String() string {
	return fmt.Sprintf("%d of %d units acquired, %d competence points (%s)", p.UnitsAcquired, p.UnitsPlanned, p.PointsAchieved, strings.Join(p.Acquired, ", "))
}

// Register adds the HOKS rules ([RequireApprovedPlan] as
// "approved_hoks_with_units", [RequirePlannedDemonstration] as
// "planned_demonstration") to a registry, so that models written as JSON
// can name them.
func Register(reg *coaching.ModelRegistry) {
	if reg.Rules == nil {
		reg.Rules = coaching.RuleRegistry{}
	}
	for _, r := range []coaching.Rule{RequireApprovedPlan(), RequirePlannedDemonstration()} {
		reg.Rules[r.Name()] = r
	}
}
