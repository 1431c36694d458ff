package hoks

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/valmennus/valmennus/coaching"
)

// Summary is what a guardian of a minor sees of the plan: where it stands
// and how the studies progress — no assessors, workplaces or support
// measures. The only free text in it is the titles of the student's open
// proposals (words the student wrote, at most [MaxOpenProposals] of them),
// and only for a reader who may also read the family's requests
// (read_requests: the student, a guardian of a minor or with the adult's
// consent, the school's staff on the team, the head of studies) — never a
// workplace instructor or a peer coach on the team.
type Summary struct {
	// Status and Version are the latest version's.
	Status  Status    `json:"status"`
	Version int64     `json:"version"`
	Updated time.Time `json:"updated"`
	// FirstApproved is the date the plan was first approved (zero while a
	// draft).
	FirstApproved coaching.Date `json:"first_approved,omitzero"`
	// CompetenceReached is the date the competence was reached, if it was.
	CompetenceReached coaching.Date `json:"competence_reached,omitzero"`
	// Progress is on the version in force; zero before the first approval.
	UnitsPlanned   int `json:"units_planned"`
	UnitsAcquired  int `json:"units_acquired"`
	PointsAchieved int `json:"points_achieved"`
	// OpenProposals counts the student's proposals to the plan that await
	// a decision ([Service.Propose]); OpenProposalTitles are their titles,
	// oldest first — never their descriptions, the changes proposed or the
	// staff's notes. Both are empty for a reader the policy refuses
	// read_requests.
	OpenProposals      int      `json:"open_proposals"`
	OpenProposalTitles []string `json:"open_proposal_titles,omitempty"`
}

// Summary returns the plan's summary, read in one transaction. The
// policy's read_hoks_summary rule decides who may see it: by default
// everyone who may read the plan, and the guardians of a student under 18
// (or of an adult who consented); its open proposals only those who may
// also read the family's requests.
func (s *Service) Summary(ctx context.Context, actor coaching.Actor, id coaching.CaseID) (Summary, error) {
	var (
		ds      []coaching.Document
		results []coaching.Record
		open    []Proposal
	)
	err := s.eng.Read(ctx, actor, func(sc *coaching.Scope) error {
		c, err := sc.Case(coaching.OpReadHOKSSummary, id)
		if err != nil {
			return err
		}
		tx := sc.ReadTx()
		if ds, err = tx.Documents(ctx, id, DocumentKind); err != nil {
			return err
		}
		if results, err = tx.Records(ctx, id, coaching.RecordQuery{Names: []string{RecordDemonstrationResult}}); err != nil {
			return err
		}
		if !sc.MayRead(coaching.OpReadRequests, c) {
			return nil
		}
		ps, err := proposals(ctx, tx, id)
		open = slices.DeleteFunc(ps, func(p Proposal) bool { return !p.Status.Open() })
		return err
	})
	if err != nil {
		return Summary{}, err
	}
	if len(ds) == 0 {
		return Summary{}, &coaching.NotFoundError{Kind: "HOKS", ID: string(id)}
	}
	last, err := decodeVersion(ds[len(ds)-1])
	if err != nil {
		return Summary{}, err
	}
	sum := Summary{Status: last.Status, Version: last.Number, Updated: last.At, FirstApproved: last.Plan.FirstApproved,
		CompetenceReached: last.Plan.CompetenceReached, OpenProposals: len(open)}
	p, err := progress(id, results, ds)
	switch {
	case err == nil:
		sum.UnitsPlanned, sum.UnitsAcquired, sum.PointsAchieved = p.UnitsPlanned, p.UnitsAcquired, p.PointsAchieved
	case !errors.Is(err, coaching.ErrNotFound):
		return Summary{}, err
	}
	for _, p := range open[:min(len(open), MaxOpenProposals)] {
		sum.OpenProposalTitles = append(sum.OpenProposalTitles, p.Title)
	}
	return sum, nil
}
