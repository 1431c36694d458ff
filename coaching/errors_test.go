package coaching_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/coaching"
)

var allSentinels = map[string]error{
	"ErrNotFound":             coaching.ErrNotFound,
	"ErrConflict":             coaching.ErrConflict,
	"ErrDuplicate":            coaching.ErrDuplicate,
	"ErrForbidden":            coaching.ErrForbidden,
	"ErrTransitionNotAllowed": coaching.ErrTransitionNotAllowed,
	"ErrRulesRejected":        coaching.ErrRulesRejected,
	"ErrInvalid":              coaching.ErrInvalid,
	"ErrIdempotencyMismatch":  coaching.ErrIdempotencyMismatch,
}

func TestErrorSentinelsAreDistinct(t *testing.T) {
	for na, a := range allSentinels {
		assert.NotEmpty(t, a.Error(), na)
		for nb, b := range allSentinels {
			if na != nb {
				assert.False(t, errors.Is(a, b), "%s must not match %s", na, nb)
				assert.NotEqual(t, a.Error(), b.Error())
			}
		}
	}
}

func TestTypedErrorsMatchTheirSentinel(t *testing.T) {
	tests := []struct {
		name     string
		err      error
		sentinel string
		// as checks errors.As into the concrete type and returns the value.
		as func(error) (error, bool)
	}{
		{"NotFoundError", &coaching.NotFoundError{Kind: "case", ID: "c-1"}, "ErrNotFound",
			func(e error) (error, bool) { var x *coaching.NotFoundError; ok := errors.As(e, &x); return x, ok }},
		{"DuplicateError", &coaching.DuplicateError{Kind: "participant", ID: "p-1"}, "ErrDuplicate",
			func(e error) (error, bool) { var x *coaching.DuplicateError; ok := errors.As(e, &x); return x, ok }},
		{"ConflictError", &coaching.ConflictError{CaseID: "c-1", Expected: 3, Current: 4}, "ErrConflict",
			func(e error) (error, bool) { var x *coaching.ConflictError; ok := errors.As(e, &x); return x, ok }},
		{"ForbiddenError", &coaching.ForbiddenError{ActorID: "a-1", Operation: "fire admit", Rule: "role", Reason: "not a coach"}, "ErrForbidden",
			func(e error) (error, bool) { var x *coaching.ForbiddenError; ok := errors.As(e, &x); return x, ok }},
		{"TransitionError", &coaching.TransitionError{Event: "close", State: "recruitment", Allowed: []string{"admit", "decline"}}, "ErrTransitionNotAllowed",
			func(e error) (error, bool) { var x *coaching.TransitionError; ok := errors.As(e, &x); return x, ok }},
		{"RulesRejectedError", &coaching.RulesRejectedError{Event: "admit", From: "recruitment", To: "induction",
			Failures: []coaching.RuleFailure{{Rule: "r1", Reason: "no"}}}, "ErrRulesRejected",
			func(e error) (error, bool) { var x *coaching.RulesRejectedError; ok := errors.As(e, &x); return x, ok }},
		{"ValidationError", &coaching.ValidationError{Subject: "participant", Problems: []coaching.FieldProblem{{Field: "language", Message: "bad"}}}, "ErrInvalid",
			func(e error) (error, bool) { var x *coaching.ValidationError; ok := errors.As(e, &x); return x, ok }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wrapped := fmt.Errorf("outer: %w", fmt.Errorf("inner: %w", tt.err))
			joined := errors.Join(errors.New("something else"), tt.err)
			for form, err := range map[string]error{"bare": tt.err, "wrapped": wrapped, "joined": joined} {
				for name, s := range allSentinels {
					assert.Equal(t, name == tt.sentinel, errors.Is(err, s), "%s: errors.Is(%s, %s)", form, tt.name, name)
				}
				got, ok := tt.as(err)
				require.True(t, ok, "%s: errors.As into %s", form, tt.name)
				assert.Same(t, tt.err, got, "%s: errors.As finds the original value", form)
			}
			assert.NotEmpty(t, tt.err.Error())
			assert.Contains(t, wrapped.Error(), tt.err.Error())
		})
	}
}

func TestTypedErrorsDoNotMatchOtherTypes(t *testing.T) {
	errs := []error{
		&coaching.NotFoundError{Kind: "case", ID: "c-1"},
		&coaching.DuplicateError{Kind: "case", ID: "c-1"},
		&coaching.ConflictError{CaseID: "c-1"},
		&coaching.ForbiddenError{ActorID: "a"},
		&coaching.TransitionError{Event: "e"},
		&coaching.RulesRejectedError{Event: "e"},
		&coaching.ValidationError{},
	}
	for i, a := range errs {
		for j, b := range errs {
			assert.Equal(t, i == j, errors.Is(a, b), "errors.Is(%T, %T)", a, b)
		}
	}
	// Two values of the same type match each other, so callers can test the
	// kind with a template value.
	assert.ErrorIs(t, &coaching.NotFoundError{Kind: "case", ID: "c-1"}, &coaching.NotFoundError{})
	assert.ErrorIs(t, fmt.Errorf("x: %w", &coaching.ValidationError{Subject: "a"}), &coaching.ValidationError{})
}

func TestErrorMessages(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want []string
		not  []string
	}{
		{"not found", &coaching.NotFoundError{Kind: "participant", ID: "p-9"}, []string{"participant", `"p-9"`, "not found"}, nil},
		{"duplicate", &coaching.DuplicateError{Kind: "participant", ID: "p-9"}, []string{"participant", `"p-9"`, "already exists"}, nil},
		{"conflict with current", &coaching.ConflictError{CaseID: "c-1", Expected: 3, Current: 5},
			[]string{`"c-1"`, "expected version 3", "current version is 5"}, nil},
		{"conflict without current", &coaching.ConflictError{CaseID: "c-1", Expected: 3},
			[]string{`"c-1"`, "expected version 3"}, []string{"current"}},
		{"forbidden", &coaching.ForbiddenError{ActorID: "a-1", Operation: "fire admit", Rule: "event_roles", Reason: "needs coach"},
			[]string{`"a-1"`, "fire admit", "event_roles", "needs coach"}, nil},
		{"transition lists allowed events", &coaching.TransitionError{Event: "close", State: "recruitment", Allowed: []string{"admit", "decline", "discontinue"}},
			[]string{`"close"`, `"recruitment"`, "admit, decline, discontinue", "not allowed"}, []string{"unknown"}},
		{"transition with nothing allowed", &coaching.TransitionError{Event: "close", State: "closed"},
			[]string{`"close"`, `"closed"`, "none"}, nil},
		{"unknown event", &coaching.TransitionError{Event: "fly", State: "recruitment", Allowed: []string{"admit", "decline"}, Unknown: true},
			[]string{"unknown event", `"fly"`, `"recruitment"`, "admit, decline"}, nil},
		{"rules rejected lists every failure", &coaching.RulesRejectedError{Event: "admit", From: "recruitment", To: "induction",
			Failures: []coaching.RuleFailure{
				{Rule: "entry_criteria_met", Reason: "motivation not met"},
				{Rule: "host_rule", Reason: "paperwork missing"},
				{Rule: "third", Reason: "also no"},
			}},
			[]string{`"admit"`, "recruitment", "induction", "3 rule(s)", "entry_criteria_met: motivation not met", "host_rule: paperwork missing", "third: also no"}, nil},
		{"validation lists every problem", &coaching.ValidationError{Subject: "participant", Problems: []coaching.FieldProblem{
			{Field: "given_names", Message: "required"},
			{Field: "guardians[0].contact.email", Message: "not a valid e-mail address"},
			{Message: "general problem"},
		}},
			[]string{"invalid participant", "3 problem(s)", "given_names: required", "guardians[0].contact.email: not a valid e-mail address", "general problem"},
			[]string{": general problem"}},
		{"validation without a subject", &coaching.ValidationError{Problems: []coaching.FieldProblem{{Field: "x", Message: "y"}}},
			[]string{"invalid input", "1 problem(s)", "x: y"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg := tt.err.Error()
			for _, w := range tt.want {
				assert.Contains(t, msg, w)
			}
			for _, n := range tt.not {
				assert.NotContains(t, msg, n)
			}
		})
	}
}

func TestErrorRulesRejectedReasons(t *testing.T) {
	e := &coaching.RulesRejectedError{Failures: []coaching.RuleFailure{{Rule: "a", Reason: "first"}, {Rule: "b", Reason: "second"}}}
	assert.Equal(t, []string{"first", "second"}, e.Reasons())
	assert.Empty(t, (&coaching.RulesRejectedError{}).Reasons())
}
