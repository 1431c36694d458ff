package pathway

import (
	"fmt"
	"strings"

	"github.com/valmennus/valmennus/coaching"
)

// RecordDestination is the name of the case record a closing event stores
// its [Destination] payload under.
const RecordDestination = "destination"

// Kind is a destination after a period. The set is closed: [Kind.Valid]
// accepts only the constants below. The zero value is [Unknown].
type Kind string

// Destinations.
const (
	// Unknown: the destination is not known (not asked, not reached).
	Unknown Kind = ""

	// StudiesQualification: studies toward a full qualification
	// (vocational, general upper secondary, higher education).
	StudiesQualification Kind = "studies_qualification"
	// StudiesOther: other studies or training (preparatory education,
	// single qualification units, courses).
	StudiesOther Kind = "studies_other"

	// WorkOpen: work on the open labour market.
	WorkOpen Kind = "work_open"
	// WorkSubsidised: wage-subsidised work ("palkkatuki").
	WorkSubsidised Kind = "work_subsidised"
	// WorkApprenticeship: an apprenticeship ("oppisopimus"), which is
	// employment with training.
	WorkApprenticeship Kind = "work_apprenticeship"
	// WorkSelfEmployed: self-employment or an own business.
	WorkSelfEmployed Kind = "work_self_employed"

	// JobSeeking: moved to active job seeking (e.g. registered as a job
	// seeker after being inactive).
	JobSeeking Kind = "job_seeking"
	// Unemployed: an unemployed job seeker.
	Unemployed Kind = "unemployed"

	// OutsideParentalLeave: outside the labour force on parental or care leave.
	OutsideParentalLeave Kind = "outside_parental_leave"
	// OutsideMilitaryService: military or non-military (civil) service.
	OutsideMilitaryService Kind = "outside_military_service"
	// OutsideOther: outside the labour force for another reason (long-term
	// sickness, rehabilitation, caring, ...).
	OutsideOther Kind = "outside_other"

	// Redirected: guided to a better-suited field (the first-year pilot
	// counts this as a success).
	Redirected Kind = "redirected"
	// OtherService: referred to another service (workshop, rehabilitation,
	// social or health services) that is neither studies nor work.
	OtherService Kind = "other_service"
)

// Kinds lists every destination in display order, [Unknown] last.
func Kinds() []Kind {
	return []Kind{
		StudiesQualification, StudiesOther,
		WorkOpen, WorkSubsidised, WorkApprenticeship, WorkSelfEmployed,
		JobSeeking, Unemployed,
		OutsideParentalLeave, OutsideMilitaryService, OutsideOther,
		Redirected, OtherService, Unknown,
	}
}

// Valid reports whether k is one of the destinations (Unknown included).
func (k Kind) Valid() bool {
	switch k {
	case Unknown, StudiesQualification, StudiesOther,
		WorkOpen, WorkSubsidised, WorkApprenticeship, WorkSelfEmployed,
		JobSeeking, Unemployed,
		OutsideParentalLeave, OutsideMilitaryService, OutsideOther,
		Redirected, OtherService:
		return true
	}
	return false
}

// Group is the broad group of a destination.
type Group string

// Destination groups.
const (
	GroupUnknown      Group = "unknown"
	GroupStudies      Group = "studies"
	GroupWork         Group = "work"
	GroupJobSeeking   Group = "job_seeking"
	GroupUnemployed   Group = "unemployed"
	GroupOutside      Group = "outside_labour_force"
	GroupRedirected   Group = "redirected"
	GroupOtherService Group = "other_service"
)

// Group returns the broad group of k; invalid kinds are GroupUnknown.
func (k Kind) Group() Group {
	switch k {
	case StudiesQualification, StudiesOther:
		return GroupStudies
	case WorkOpen, WorkSubsidised, WorkApprenticeship, WorkSelfEmployed:
		return GroupWork
	case JobSeeking:
		return GroupJobSeeking
	case Unemployed:
		return GroupUnemployed
	case OutsideParentalLeave, OutsideMilitaryService, OutsideOther:
		return GroupOutside
	case Redirected:
		return GroupRedirected
	case OtherService:
		return GroupOtherService
	}
	return GroupUnknown
}

// LabourStatus maps a destination to the ESF labour-market status it
// implies: work is employed (self-employment and apprenticeships included),
// job seeking and unemployment are unemployed (an unemployed person is by
// definition job searching), studies are in education, and being outside
// the labour force is inactive. Redirected, other service and unknown carry
// no labour-market status and map to [coaching.LabourUnknown].
func (k Kind) LabourStatus() coaching.LabourStatus {
	switch k.Group() {
	case GroupWork:
		return coaching.LabourEmployed
	case GroupJobSeeking, GroupUnemployed:
		return coaching.LabourUnemployed
	case GroupStudies:
		return coaching.LabourInEducation
	case GroupOutside:
		return coaching.LabourInactive
	}
	return coaching.LabourUnknown
}

// Title returns an English label.
func (k Kind) Title() string {
	switch k {
	case StudiesQualification:
		return "studies toward a full qualification"
	case StudiesOther:
		return "other studies or training"
	case WorkOpen:
		return "work on the open labour market"
	case WorkSubsidised:
		return "wage-subsidised work"
	case WorkApprenticeship:
		return "apprenticeship"
	case WorkSelfEmployed:
		return "self-employed"
	case JobSeeking:
		return "moved to job seeking"
	case Unemployed:
		return "unemployed job seeker"
	case OutsideParentalLeave:
		return "outside the labour force: parental leave"
	case OutsideMilitaryService:
		return "outside the labour force: military or civil service"
	case OutsideOther:
		return "outside the labour force: other"
	case Redirected:
		return "redirected to a better-suited field"
	case OtherService:
		return "other service"
	case Unknown:
		return "unknown"
	}
	return fmt.Sprintf("invalid destination %q", string(k))
}

// Destination is where a person went after a period: the destination, the
// civil date it started (or was found out) and an optional note. It is the
// payload of a case's closing event (stored as [RecordDestination]) and of
// follow-up observations.
type Destination struct {
	Kind Kind          `json:"destination" validate:"omitempty,oneof=studies_qualification studies_other work_open work_subsidised work_apprenticeship work_self_employed job_seeking unemployed outside_parental_leave outside_military_service outside_other redirected other_service"`
	Date coaching.Date `json:"date" validate:"required"`
	Note string        `json:"note,omitempty" validate:"max=2000"`
}

// MaxNoteBytes bounds a destination's note.
const MaxNoteBytes = 2000

// Validate checks the destination and returns a *coaching.ValidationError
// listing every problem. A recorded destination must name a known kind
// other than Unknown (record nothing instead) and a real date; the note is
// bounded and free of control characters.
func (d Destination) Validate() error {
	var pr []coaching.FieldProblem
	switch {
	case d.Kind == Unknown:
		pr = append(pr, coaching.FieldProblem{Field: "destination", Message: "required"})
	case !d.Kind.Valid():
		pr = append(pr, coaching.FieldProblem{Field: "destination", Message: fmt.Sprintf("unknown destination %q", string(d.Kind))})
	}
	pr = checkDate(pr, "date", d.Date, true)
	pr = checkText(pr, "note", d.Note, MaxNoteBytes, false)
	return validationError("destination", pr)
}

// Classify returns the destination's classification under c (the default
// classifier when c is nil).
func (d Destination) Classify(c Classifier) Classification {
	if c == nil {
		c = DefaultClassifier()
	}
	return c.Classify(d.Kind)
}

func validationError(subject string, pr []coaching.FieldProblem) error {
	if len(pr) == 0 {
		return nil
	}
	return &coaching.ValidationError{Subject: subject, Problems: pr}
}

func checkDate(pr []coaching.FieldProblem, field string, d coaching.Date, required bool) []coaching.FieldProblem {
	switch {
	case d.IsZero():
		if required {
			pr = append(pr, coaching.FieldProblem{Field: field, Message: "required"})
		}
	case !d.Valid():
		pr = append(pr, coaching.FieldProblem{Field: field, Message: "not a calendar date"})
	case d.Year < 1900:
		pr = append(pr, coaching.FieldProblem{Field: field, Message: "before 1900"})
	}
	return pr
}

// checkText rejects invalid UTF-8, control characters (newlines are allowed
// when multiline), bidirectional overrides and over-long values.
func checkText(pr []coaching.FieldProblem, field, s string, max int, required bool) []coaching.FieldProblem {
	if required && strings.TrimSpace(s) == "" {
		return append(pr, coaching.FieldProblem{Field: field, Message: "required"})
	}
	return append(pr, coaching.TextProblems(field, s, max, true)...)
}
