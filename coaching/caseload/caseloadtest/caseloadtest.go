// Package caseloadtest holds test helpers for the caseload feature:
// assertions on alerts and on who sees a case in their caseload, with
// failure messages that say what was there instead.
package caseloadtest

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/coaching/caseload"
)

// scanLimit bounds how many pages RequireInCaseload reads.
const scanLimit = 200

// RequireAlert fails the test unless actor sees an active alert of kind
// on case id, and returns it.
func RequireAlert(t testing.TB, svc *caseload.Service, actor coaching.Actor, id coaching.CaseID, kind caseload.CauseKind) caseload.Alert {
	t.Helper()
	as, err := alerts(svc, actor, caseload.AlertQuery{CaseID: id, Kinds: []caseload.CauseKind{kind}})
	if err != nil {
		t.Fatalf("caseloadtest: alerts of case %s for %s: %v", id, actor.ID, err)
		return caseload.Alert{}
	}
	if len(as) == 0 {
		t.Fatalf("caseloadtest: %s sees no active %s alert on case %s; active alerts it sees: %s", actor.ID, kind, id, describe(svc, actor, id))
		return caseload.Alert{}
	}
	return as[0]
}

// RequireNoAlert fails the test if actor sees an active alert of kind on
// case id.
func RequireNoAlert(t testing.TB, svc *caseload.Service, actor coaching.Actor, id coaching.CaseID, kind caseload.CauseKind) {
	t.Helper()
	as, err := alerts(svc, actor, caseload.AlertQuery{CaseID: id, Kinds: []caseload.CauseKind{kind}})
	if err != nil {
		t.Fatalf("caseloadtest: alerts of case %s for %s: %v", id, actor.ID, err)
		return
	}
	if len(as) > 0 {
		t.Fatalf("caseloadtest: %s sees %d active %s alert(s) on case %s, want none: %s", actor.ID, len(as), kind, id, list(as))
	}
}

// RequireInCaseload fails the test unless case id is in actor's caseload
// (Service.Mine, open cases), and returns its row.
func RequireInCaseload(t testing.TB, svc *caseload.Service, actor coaching.Actor, id coaching.CaseID) caseload.Row {
	t.Helper()
	row, ids, err := find(svc, actor, id)
	if err != nil {
		t.Fatalf("caseloadtest: caseload of %s: %v", actor.ID, err)
		return caseload.Row{}
	}
	if row == nil {
		t.Fatalf("caseloadtest: case %s is not in the caseload of %s; it holds %d case(s): %s", id, actor.ID, len(ids), strings.Join(ids, ", "))
		return caseload.Row{}
	}
	return *row
}

// RequireNotInCaseload fails the test if case id is in actor's caseload.
func RequireNotInCaseload(t testing.TB, svc *caseload.Service, actor coaching.Actor, id coaching.CaseID) {
	t.Helper()
	row, _, err := find(svc, actor, id)
	if err != nil {
		t.Fatalf("caseloadtest: caseload of %s: %v", actor.ID, err)
		return
	}
	if row != nil {
		t.Fatalf("caseloadtest: case %s is in the caseload of %s (roles %v), want it not", id, actor.ID, row.Roles)
	}
}

func find(svc *caseload.Service, actor coaching.Actor, id coaching.CaseID) (*caseload.Row, []string, error) {
	var ids []string
	q := caseload.Query{Limit: caseload.MaxLimit}
	for range scanLimit {
		p, err := svc.Mine(context.Background(), actor, q)
		if err != nil {
			return nil, nil, err
		}
		for i := range p.Rows {
			if p.Rows[i].CaseID == id {
				return &p.Rows[i], nil, nil
			}
			ids = append(ids, string(p.Rows[i].CaseID))
		}
		if p.Next == "" {
			break
		}
		q.Cursor = p.Next
	}
	return nil, ids, nil
}

// alerts reads every page of q that actor sees.
func alerts(svc *caseload.Service, actor coaching.Actor, q caseload.AlertQuery) ([]caseload.Alert, error) {
	var out []caseload.Alert
	for range scanLimit {
		p, err := svc.Alerts(context.Background(), actor, q)
		if err != nil {
			return nil, err
		}
		out = append(out, p.Alerts...)
		if p.Next == "" {
			break
		}
		q.After = p.Next
	}
	return out, nil
}

func describe(svc *caseload.Service, actor coaching.Actor, id coaching.CaseID) string {
	as, err := alerts(svc, actor, caseload.AlertQuery{CaseID: id})
	if err != nil {
		return "(" + err.Error() + ")"
	}
	return list(as)
}

func list(as []caseload.Alert) string {
	if len(as) == 0 {
		return "none"
	}
	parts := make([]string, len(as))
	for i, a := range as {
		parts[i] = fmt.Sprintf("%s %s/%s (%s, owner %s)", a.ID, a.Cause.Kind, a.Cause.Key, a.Status, a.Owner.ActorID)
	}
	return strings.Join(parts, "; ")
}
