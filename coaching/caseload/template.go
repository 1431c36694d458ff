package caseload

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/valmennus/valmennus/coaching"
)

// Template is an action plan: the tasks a case gets when it enters a
// state of a model (entering induction creates "initial interview" and
// "literacy and maths screening" for the personal tutor, due in 14 days).
type Template struct {
	// Name identifies the template; the tasks it creates carry it.
	Name  string         `json:"name"`
	Model string         `json:"model"`
	State string         `json:"state"`
	Tasks []TemplateTask `json:"tasks"`
}

// TemplateTask is one planned item a template creates.
type TemplateTask struct {
	Kind  PlannedKind `json:"kind"`
	Title string      `json:"title"`
	// OwnerRole: the task is owned by the first team member in this role
	// (none on the team: the task is not created).
	OwnerRole coaching.Role `json:"owner_role"`
	// DueInDays dates the task this many days after the state's entry.
	DueInDays int `json:"due_in_days"`
}

// Attach makes spec's events that enter each template's state create its
// tasks as planned items, in the transition's transaction (an effect whose
// writes are [coaching.FeatureWrite]s): the host's store must keep
// caseload data, or the transition fails. The ids are derived from the
// case, the audit sequence and the task, so a retried transition creates
// each task once. A template of another model is an error, as is a state
// no event enters. Opening a case does not run effects: templates apply
// on transitions.
func Attach(spec *coaching.ModelSpec, templates ...Template) error {
	if spec == nil {
		return errors.New("caseload: Attach: spec is nil")
	}
	for i, tp := range templates {
		if err := tp.check(spec.Name); err != nil {
			return err
		}
		// A task's id carries its template's name: two templates of one
		// name would create tasks of the same ids, and the second's would
		// be lost as duplicates.
		for _, other := range templates[:i] {
			if other.Name == tp.Name {
				return fmt.Errorf("caseload: Attach: two templates are named %q", tp.Name)
			}
		}
		var events []string
		for _, ev := range spec.Events {
			if ev.To == tp.State {
				events = append(events, ev.Name)
			}
		}
		if len(events) == 0 {
			return fmt.Errorf("caseload: template %s: no event of model %s enters state %q", tp.Name, spec.Name, tp.State)
		}
		tp := tp
		tp.Tasks = slices.Clone(tp.Tasks)
		eff := coaching.NewEffect("caseload_template_"+tp.Name, func(_ context.Context, t *coaching.Transition, next coaching.Case) (coaching.EffectWrites, error) {
			if next.State != tp.State {
				return coaching.EffectWrites{}, nil
			}
			items := tp.items(t, next)
			if len(items) == 0 {
				return coaching.EffectWrites{}, nil
			}
			return coaching.EffectWrites{Writes: []coaching.FeatureWrite{func(ctx context.Context, tx coaching.Tx) error {
				st, ok := tx.(Store)
				if !ok {
					return errNoPort
				}
				for _, p := range items {
					if err := st.PutPlanned(ctx, p); err != nil && !errors.Is(err, coaching.ErrDuplicate) {
						return err
					}
				}
				return nil
			}}}, nil
		})
		if err := spec.AddEffects([]coaching.Effect{eff}, events...); err != nil {
			return err
		}
	}
	return nil
}

func (tp Template) check(model string) error {
	var pr []coaching.FieldProblem
	add := func(field, format string, args ...any) {
		pr = append(pr, coaching.FieldProblem{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	if strings.TrimSpace(tp.Name) == "" || strings.ContainsAny(tp.Name, " \t\n") {
		add("name", "required: an identifier without spaces")
	}
	if tp.Model != model {
		add("model", "template of model %q attached to model %q", tp.Model, model)
	}
	if tp.State == "" {
		add("state", "required")
	}
	if len(tp.Tasks) == 0 {
		add("tasks", "at least one task")
	}
	for i, t := range tp.Tasks {
		path := fmt.Sprintf("tasks[%d]", i)
		if !slices.Contains(PlannedKinds, t.Kind) {
			add(path+".kind", "unknown planned kind %q", t.Kind)
		}
		if strings.TrimSpace(t.Title) == "" {
			add(path+".title", "required")
		}
		pr = append(pr, coaching.TextProblems(path+".title", t.Title, 200, false)...)
		if !t.OwnerRole.IsStaff() {
			add(path+".owner_role", "must be a staff role, got %q", t.OwnerRole)
		}
		if t.DueInDays < 0 || t.DueInDays > 366 {
			add(path+".due_in_days", "must be 0–366, got %d", t.DueInDays)
		}
	}
	if len(pr) > 0 {
		return &coaching.ValidationError{Subject: "template " + tp.Name, Problems: pr}
	}
	return nil
}

// items are the planned items the template creates for next.
func (tp Template) items(t *coaching.Transition, next coaching.Case) []Planned {
	var out []Planned
	on := coaching.DateOf(t.Now)
	for i, task := range tp.Tasks {
		o, ok := firstWithRole(next.Team, []coaching.Role{task.OwnerRole})
		if !ok {
			continue
		}
		out = append(out, Planned{ID: "tpl-" + tp.Name + "-" + string(next.ID) + "-" + strconv.FormatInt(next.Version, 10) + "-" + strconv.Itoa(i),
			Kind: task.Kind, Title: task.Title, Cases: []coaching.CaseID{next.ID}, Organisation: next.Organisation, Owner: o,
			On: on.AddDays(task.DueInDays), Status: PlannedOpen, Template: tp.Name, CreatedAt: t.Now, CreatedBy: t.Actor.ID,
			UpdatedAt: t.Now, UpdatedBy: t.Actor.ID, Version: 1})
	}
	return out
}
