package pathway

import (
	"errors"
	"fmt"

	"github.com/valmennus/valmennus/coaching"
)

// Record names under which an engine can store handovers on a case.
const (
	RecordInboundHandover  = "inbound_handover"
	RecordOutboundHandover = "outbound_handover"
)

// ContactPerson is the named person on the other side of a handover.
type ContactPerson struct {
	Name string `json:"name" validate:"required,max=200"`
	// Title is the person's role, e.g. "study counsellor" (opinto-ohjaaja).
	Title string `json:"title,omitempty" validate:"max=200"`
	Email string `json:"email,omitempty" validate:"omitempty,email,max=254"`
	Phone string `json:"phone,omitempty" validate:"max=40"`
}

func (c ContactPerson) problems(prefix string) []coaching.FieldProblem {
	var pr []coaching.FieldProblem
	pr = checkText(pr, prefix+".name", c.Name, 200, true)
	pr = checkText(pr, prefix+".title", c.Title, 200, false)
	if len(c.Email) > 254 {
		pr = append(pr, coaching.FieldProblem{Field: prefix + ".email", Message: "longer than 254 bytes"})
	}
	var ve *coaching.ValidationError
	if errors.As(coaching.Contact{Email: c.Email, Phone: c.Phone}.Validate(), &ve) {
		for _, p := range ve.Problems {
			pr = append(pr, coaching.FieldProblem{Field: prefix + "." + p.Field, Message: p.Message})
		}
	}
	if c.Email == "" && c.Phone == "" {
		pr = append(pr, coaching.FieldProblem{Field: prefix, Message: "an e-mail address or a phone number is required"})
	}
	return pr
}

// SupportNeed is a support need that transfers with the student, e.g.
// "reading and writing: extra time in tests".
type SupportNeed struct {
	Area        string `json:"area" validate:"required,max=200"`
	Description string `json:"description,omitempty" validate:"max=2000"`
	// Measures are the support measures that have worked so far.
	Measures string `json:"measures,omitempty" validate:"max=2000"`
	// Special: special support (erityinen tuki) was decided in basic education.
	Special bool `json:"special,omitempty"`
}

// MaxSupportNeeds bounds the support needs of a handover.
const MaxSupportNeeds = 30

func supportProblems(pr []coaching.FieldProblem, needs []SupportNeed) []coaching.FieldProblem {
	if len(needs) > MaxSupportNeeds {
		pr = append(pr, coaching.FieldProblem{Field: "support_needs", Message: fmt.Sprintf("at most %d", MaxSupportNeeds)})
	}
	for i, n := range needs {
		p := fmt.Sprintf("support_needs[%d]", i)
		pr = checkText(pr, p+".area", n.Area, 200, true)
		pr = checkText(pr, p+".description", n.Description, 2000, false)
		pr = checkText(pr, p+".measures", n.Measures, 2000, false)
	}
	return pr
}

// InboundHandover is a warm handover ("saattaen vaihto") from basic
// education into vocational education or coaching. Information moves only
// with the student's consent, given on ConsentDate (on or before the
// handover).
type InboundHandover struct {
	ConsentDate   coaching.Date `json:"consent_date" validate:"required"`
	HandoverDate  coaching.Date `json:"handover_date" validate:"required"`
	SendingSchool string        `json:"sending_school" validate:"required,max=200"`
	// SendingSchoolID is the school's organisation OID, when known.
	SendingSchoolID coaching.OrganisationID `json:"sending_school_id,omitempty" validate:"max=200"`
	ContactPerson   ContactPerson           `json:"contact_person"`
	SupportNeeds    []SupportNeed           `json:"support_needs,omitempty" validate:"max=30,dive"`
	Note            string                  `json:"note,omitempty" validate:"max=2000"`
}

// Validate checks the handover and returns a *coaching.ValidationError
// listing every problem.
func (h InboundHandover) Validate() error {
	var pr []coaching.FieldProblem
	pr = checkDate(pr, "consent_date", h.ConsentDate, true)
	pr = checkDate(pr, "handover_date", h.HandoverDate, true)
	if h.ConsentDate.Valid() && h.HandoverDate.Valid() && h.ConsentDate.After(h.HandoverDate) {
		pr = append(pr, coaching.FieldProblem{Field: "consent_date", Message: "consent must be given on or before the handover"})
	}
	pr = checkText(pr, "sending_school", h.SendingSchool, 200, true)
	pr = checkText(pr, "sending_school_id", string(h.SendingSchoolID), 200, false)
	pr = append(pr, h.ContactPerson.problems("contact_person")...)
	pr = supportProblems(pr, h.SupportNeeds)
	pr = checkText(pr, "note", h.Note, 2000, false)
	return validationError("inbound handover", pr)
}

// ServiceType is the kind of service an outbound handover goes to.
type ServiceType string

// Service types.
const (
	ServiceEducation  ServiceType = "education"          // an education provider
	ServiceEmployment ServiceType = "employment_service" // TE services / the employment office
	ServiceWorkshop   ServiceType = "workshop"           // youth or employment workshop
	ServiceOutreach   ServiceType = "outreach_youth_work"
	ServiceSocial     ServiceType = "social_services"
	ServiceHealth     ServiceType = "health_services"
	ServiceEmployer   ServiceType = "employer"
	ServiceOther      ServiceType = "other"
)

// Valid reports whether t is one of the service types.
func (t ServiceType) Valid() bool {
	switch t {
	case ServiceEducation, ServiceEmployment, ServiceWorkshop, ServiceOutreach,
		ServiceSocial, ServiceHealth, ServiceEmployer, ServiceOther:
		return true
	}
	return false
}

// OutboundHandover is the warm handover to the next service at the end of
// a period: who takes over, where the person is going, and (with consent)
// which support needs go along.
type OutboundHandover struct {
	HandoverDate coaching.Date `json:"handover_date" validate:"required"`
	Service      ServiceType   `json:"service" validate:"required,oneof=education employment_service workshop outreach_youth_work social_services health_services employer other"`
	Receiver     string        `json:"receiver" validate:"required,max=200"`
	// ReceiverID is the receiving organisation's id, when known.
	ReceiverID    coaching.OrganisationID `json:"receiver_id,omitempty" validate:"max=200"`
	ContactPerson ContactPerson           `json:"contact_person"`
	// Destination is the onward path the handover serves.
	Destination Kind `json:"destination,omitempty" validate:"omitempty,oneof=studies_qualification studies_other work_open work_subsidised work_apprenticeship work_self_employed job_seeking unemployed outside_parental_leave outside_military_service outside_other redirected other_service"`
	// ConsentDate is when the person consented to passing information on;
	// required when support needs are passed on.
	ConsentDate  coaching.Date `json:"consent_date,omitzero"`
	SupportNeeds []SupportNeed `json:"support_needs,omitempty" validate:"max=30,dive"`
	Note         string        `json:"note,omitempty" validate:"max=2000"`
}

// Validate checks the handover and returns a *coaching.ValidationError
// listing every problem.
func (h OutboundHandover) Validate() error {
	var pr []coaching.FieldProblem
	pr = checkDate(pr, "handover_date", h.HandoverDate, true)
	if !h.Service.Valid() {
		pr = append(pr, coaching.FieldProblem{Field: "service", Message: fmt.Sprintf("unknown service type %q", string(h.Service))})
	}
	pr = checkText(pr, "receiver", h.Receiver, 200, true)
	pr = checkText(pr, "receiver_id", string(h.ReceiverID), 200, false)
	pr = append(pr, h.ContactPerson.problems("contact_person")...)
	if !h.Destination.Valid() {
		pr = append(pr, coaching.FieldProblem{Field: "destination", Message: fmt.Sprintf("unknown destination %q", string(h.Destination))})
	}
	pr = checkDate(pr, "consent_date", h.ConsentDate, len(h.SupportNeeds) > 0)
	if h.ConsentDate.Valid() && h.HandoverDate.Valid() && h.ConsentDate.After(h.HandoverDate) {
		pr = append(pr, coaching.FieldProblem{Field: "consent_date", Message: "consent must be given on or before the handover"})
	}
	pr = supportProblems(pr, h.SupportNeeds)
	pr = checkText(pr, "note", h.Note, 2000, false)
	return validationError("outbound handover", pr)
}
