package hoks

import (
	"context"
	"errors"
	"time"

	"github.com/valmennus/valmennus/coaching"
)

// Summary is what a guardian of a minor sees of the plan: where it stands
// and how the studies progress — no assessors, workplaces, support
// measures or free text.
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
	// staff's notes.
	OpenProposals      int      `json:"open_proposals"`
	OpenProposalTitles []string `json:"open_proposal_titles,omitempty"`
}

// Summary returns the plan's summary. The policy's read_hoks_summary rule
// decides who may see it: by default everyone who may read the plan, and
// the guardians of a student under 18 (or of an adult who consented).
func (s *Service) Summary(ctx context.Context, actor coaching.Actor, id coaching.CaseID) (Summary, error) {
	ds, results, err := s.summaryReads(ctx, actor, id)
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
		CompetenceReached: last.Plan.CompetenceReached}
	p, err := progress(id, results, ds)
	switch {
	case err == nil:
		sum.UnitsPlanned, sum.UnitsAcquired, sum.PointsAchieved = p.UnitsPlanned, p.UnitsAcquired, p.PointsAchieved
	case !errors.Is(err, coaching.ErrNotFound):
		return Summary{}, err
	}
	if sum.OpenProposalTitles, err = s.openProposals(ctx, actor, id); err != nil {
		return Summary{}, err
	}
	sum.OpenProposals = len(sum.OpenProposalTitles)
	return sum, nil
}
