package webui

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/coaching/caseload"
	coachsession "github.com/valmennus/valmennus/coaching/session"
	"github.com/valmennus/valmennus/hoks"
)

// Every name the case page and the plan diff look up by data is in the
// catalogue: every HOKS change kind, session kind and approach element,
// contact kind, alert cause and status, planned item status and kind,
// and attendance status (the page would otherwise show the bare name).
func TestCasePageLabelsInCatalogue(t *testing.T) {
	var keys []string
	for k := hoks.ChangeKind(1); !strings.HasPrefix(k.String(), "ChangeKind("); k++ {
		keys = append(keys, "hoks.change."+changeKey(k))
	}
	assert.Greater(t, len(keys), 40, "the change kinds were found")
	for _, k := range []coachsession.Kind{coachsession.Individual, coachsession.Group, coachsession.Outreach} {
		keys = append(keys, "session.kind."+string(k))
	}
	for _, e := range coachsession.ApproachElements {
		keys = append(keys, "session.element."+string(e))
	}
	for _, k := range caseload.ContactKinds {
		keys = append(keys, "contact."+string(k))
	}
	for _, k := range []caseload.CauseKind{caseload.CausePhaseOverdue, caseload.CauseEarlyWarning, caseload.CauseReferralFollowUp,
		caseload.CauseCheckpointDue, caseload.CausePlannedOverdue, caseload.CauseManual} {
		keys = append(keys, "alert.cause."+string(k))
	}
	for _, st := range []caseload.AlertStatus{caseload.AlertOpen, caseload.AlertAcknowledged, caseload.AlertResolved, caseload.AlertDismissed} {
		keys = append(keys, "alert.status."+string(st))
	}
	for _, st := range []caseload.PlannedStatus{caseload.PlannedOpen, caseload.PlannedHeld, caseload.PlannedCancelled} {
		keys = append(keys, "planned.status."+string(st))
	}
	for _, k := range caseload.PlannedKinds {
		keys = append(keys, "planned."+string(k))
	}
	for _, st := range gridStatuses {
		keys = append(keys, "att.status."+string(st))
	}
	for _, k := range keys {
		_, ok := catalogue[k]
		assert.True(t, ok, k)
	}
}

func TestReadablePath(t *testing.T) {
	assert.Equal(t, "Hankittava ammatillinen tutkinnon osa 1 › Osaamisen hankkimistapa 2",
		readablePath("hankittavat-ammat-tutkinnon-osat[0].osaamisen-hankkimistavat[1]", coaching.Finnish))
	assert.Equal(t, "Vocational unit to acquire 3 › Training at the workplace › Responsible workplace instructor › Name",
		readablePath("hankittavat-ammat-tutkinnon-osat[2].tyopaikalla-jarjestettava-koulutus.vastuullinen-tyopaikka-ohjaaja.nimi", coaching.English))
	assert.Equal(t, "First approval", readablePath("ensikertainen-hyvaksyminen", coaching.English))
	assert.Equal(t, "tuntematon kentta 1", readablePath("tuntematon-kentta[0]", coaching.Finnish), "an unknown member as its own words")
}

func TestLocalValue(t *testing.T) {
	assert.Equal(t, "20.12.2026–14.2.2027", localValue("2026-12-20–2027-02-14", coaching.Finnish))
	assert.Equal(t, "2026-12-20–2027-02-14", localValue("2026-12-20–2027-02-14", coaching.English))
	at := time.Date(2026, 12, 6, 14, 58, 19, 0, time.UTC) // 16.58 in Helsinki
	assert.Equal(t, "6.12.2026 16.58", localValue(at.Format(time.RFC3339Nano), coaching.Swedish))
	assert.Equal(t, "Ohjaaja, Olli", localValue("Ohjaaja, Olli", coaching.Finnish))
	assert.Equal(t, "2026-13-45", localValue("2026-13-45", coaching.Finnish), "not a date: left as it is")
}

func TestPathName(t *testing.T) {
	p := &hoks.Plan{
		VocationalUnits: []hoks.VocationalUnit{{UnitCodeURI: hoks.Ref("tutkinnonosat_106233"), Methods: []hoks.AcquisitionMethod{{
			PeriodID: hoks.Ref("jakso-1"), Workplace: &hoks.WorkplaceTraining{WorkplaceName: hoks.Ref("Testi Oy")}}}}},
		LocalUnits: []hoks.LocalUnit{{Name: hoks.Ref("Opiskelutaidot")}},
	}
	doc := planDoc(p)
	assert.Equal(t, "tutkinnonosat_106233", pathName(doc, "hankittavat-ammat-tutkinnon-osat[0]"))
	assert.Equal(t, "Testi Oy", pathName(doc, "hankittavat-ammat-tutkinnon-osat[0].osaamisen-hankkimistavat[0]"))
	assert.Equal(t, "Opiskelutaidot", pathName(doc, "hankittavat-paikalliset-tutkinnon-osat[0]"))
	assert.Empty(t, pathName(doc, "hankittavat-paikalliset-tutkinnon-osat[5]"), "out of range")
	assert.Empty(t, pathName(doc, "ensikertainen-hyvaksyminen"), "not an item")
	assert.Empty(t, pathName(nil, "hankittavat-ammat-tutkinnon-osat[0]"))
}

// The compare form's defaults: an update awaiting approval against the
// version in force; else the version in force against the latest approved
// version before it that differs, else the one before.
func TestDefaultCompare(t *testing.T) {
	plan := func(n int) *hoks.Plan {
		p := &hoks.Plan{}
		for range n {
			p.LocalUnits = append(p.LocalUnits, hoks.LocalUnit{Name: hoks.Ref("unit")})
		}
		return p
	}
	v := func(n int64, st hoks.Status, units int) hoks.Version {
		return hoks.Version{Number: n, Status: st, Plan: plan(units)}
	}
	for _, tc := range []struct {
		name     string
		vs       []hoks.Version
		from, to int64
	}{
		{"one version", []hoks.Version{v(1, hoks.StatusDraft, 1)}, 0, 0},
		{"drafts only", []hoks.Version{v(1, hoks.StatusDraft, 1), v(2, hoks.StatusDraft, 2)}, 1, 2},
		{"first approval", []hoks.Version{v(1, hoks.StatusDraft, 1), v(2, hoks.StatusApproved, 1)}, 1, 2},
		{"an approved update", []hoks.Version{v(1, hoks.StatusDraft, 1), v(2, hoks.StatusApproved, 1), v(3, hoks.StatusUpdated, 2),
			v(4, hoks.StatusApproved, 2)}, 2, 4},
		{"an update awaiting approval", []hoks.Version{v(1, hoks.StatusDraft, 1), v(2, hoks.StatusApproved, 1), v(3, hoks.StatusInProgress, 1),
			v(4, hoks.StatusUpdated, 2)}, 3, 4},
		{"started, then updated and approved", []hoks.Version{v(1, hoks.StatusDraft, 1), v(2, hoks.StatusApproved, 1),
			v(3, hoks.StatusInProgress, 1), v(4, hoks.StatusUpdated, 2), v(5, hoks.StatusApproved, 2)}, 3, 5},
		{"archived", []hoks.Version{v(1, hoks.StatusDraft, 1), v(2, hoks.StatusApproved, 1), v(3, hoks.StatusArchived, 1)}, 2, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			from, to := defaultCompare(tc.vs)
			assert.Equal(t, [2]int64{tc.from, tc.to}, [2]int64{from, to})
		})
	}
}
