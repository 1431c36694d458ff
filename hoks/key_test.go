package hoks_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	ct "github.com/valmennus/valmennus/coaching/coachingtest"
	"github.com/valmennus/valmennus/hoks"
)

// A proposal or a comment sent again with its key — a double click, a
// resent form — records nothing: the first answers, as it is now (a
// proposal withdrawn since is returned withdrawn), and nothing is
// audited. Without a key every call records one.
func TestVoiceKeyRepeats(t *testing.T) {
	ctx := context.Background()
	e := newVoiceEnv(t)
	in := hoks.ProposalInput{Title: "Siirto", Change: moveJakso2(), Key: "form-7f3a"}
	first, err := e.svc.Propose(ctx, e.student, e.id, in)
	require.NoError(t, err)
	assert.Equal(t, "form-7f3a", first.Key)
	trail := len(ct.RequireAuditTrail(t, e.Engine, e.id))
	again, err := e.svc.Propose(ctx, e.student, e.id, in)
	require.NoError(t, err)
	assert.Equal(t, first.Number, again.Number)
	assert.Equal(t, first.Version, again.Version)
	assert.Len(t, ct.RequireAuditTrail(t, e.Engine, e.id), trail, "the repeated proposal wrote nothing")

	w, err := e.svc.WithdrawProposal(ctx, e.student, e.id, first.Number, hoks.WithdrawInput{BasedOn: first.Version})
	require.NoError(t, err)
	again, err = e.svc.Propose(ctx, e.student, e.id, in)
	require.NoError(t, err, "a late repeat answers with the proposal as it is now")
	assert.Equal(t, hoks.ProposalWithdrawn, again.Status)
	assert.Equal(t, w.Version, again.Version)

	cin := hoks.CommentInput{Text: "Hyvä suunnitelma.", Key: "c-1"}
	c1, err := e.svc.Comment(ctx, e.student, e.id, cin)
	require.NoError(t, err)
	trail = len(ct.RequireAuditTrail(t, e.Engine, e.id))
	c2, err := e.svc.Comment(ctx, e.student, e.id, cin)
	require.NoError(t, err)
	assert.Equal(t, c1.Number, c2.Number)
	assert.True(t, c1.At.Equal(c2.At), "the first comment answers")
	assert.Len(t, ct.RequireAuditTrail(t, e.Engine, e.id), trail, "the repeated comment wrote nothing")

	// A newer comment without a key keeps the ledger: the keyed one is
	// still recognised.
	_, err = e.svc.Comment(ctx, e.student, e.id, hoks.CommentInput{Text: "Hyvä suunnitelma."})
	require.NoError(t, err)
	c3, err := e.svc.Comment(ctx, e.student, e.id, cin)
	require.NoError(t, err)
	assert.Equal(t, c1.Number, c3.Number)

	ps, err := e.svc.Proposals(ctx, ct.Tutor, e.id)
	require.NoError(t, err)
	assert.Len(t, ps, 1)
	cs, err := e.svc.Comments(ctx, ct.Tutor, e.id)
	require.NoError(t, err)
	assert.Len(t, cs, 2, "one keyed comment and one without a key")
}

// The same key with other content is refused naming key, and nothing is
// saved; a key longer than 100 bytes is refused.
func TestVoiceKeyMismatch(t *testing.T) {
	ctx := context.Background()
	e := newVoiceEnv(t)
	_, err := e.svc.Propose(ctx, e.student, e.id, hoks.ProposalInput{Title: "Siirto", Change: moveJakso2(), Key: "k1"})
	require.NoError(t, err)
	_, err = e.svc.Comment(ctx, e.student, e.id, hoks.CommentInput{Text: "Ensimmäinen", Key: "k2"})
	require.NoError(t, err)
	trail := len(ct.RequireAuditTrail(t, e.Engine, e.id))

	_, err = e.svc.Propose(ctx, e.student, e.id, hoks.ProposalInput{Title: "Siirto myöhemmäksi", Change: moveJakso2(), Key: "k1"})
	ct.RequireInvalid(t, err, "key")
	other := moveJakso2()
	other.To.End = other.To.End.AddDays(1)
	_, err = e.svc.Propose(ctx, e.student, e.id, hoks.ProposalInput{Title: "Siirto", Change: other, Key: "k1"})
	ct.RequireInvalid(t, err, "key")
	_, err = e.svc.Comment(ctx, e.student, e.id, hoks.CommentInput{Text: "Muokattu", Key: "k2"})
	ct.RequireInvalid(t, err, "key")
	assert.Len(t, ct.RequireAuditTrail(t, e.Engine, e.id), trail, "nothing saved")

	long := strings.Repeat("k", 101)
	_, err = e.svc.Propose(ctx, e.student, e.id, hoks.ProposalInput{Title: "x", Description: "y", Key: long})
	ct.RequireInvalid(t, err, "key")
	_, err = e.svc.Comment(ctx, e.student, e.id, hoks.CommentInput{Text: "x", Key: long})
	ct.RequireInvalid(t, err, "key")
}

// Two sends of one keyed form at once record one proposal and one
// comment: the second conflicts on the next number, runs again and finds
// the first.
func TestVoiceKeyConcurrent(t *testing.T) {
	ctx := context.Background()
	e := newVoiceEnv(t)
	var wg sync.WaitGroup
	props := make([]int64, 4)
	comms := make([]int64, 4)
	errs := make([]error, 8)
	for i := range props {
		wg.Go(func() {
			p, err := e.svc.Propose(ctx, e.student, e.id, hoks.ProposalInput{Title: "Tuplaklikkaus", Description: "x", Key: "double-click"})
			props[i], errs[i] = p.Number, err
		})
		wg.Go(func() {
			c, err := e.svc.Comment(ctx, e.student, e.id, hoks.CommentInput{Text: "Tuplaklikkaus", Key: "double-click"})
			comms[i], errs[4+i] = c.Number, err
		})
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
	assert.Equal(t, []int64{1, 1, 1, 1}, props)
	assert.Equal(t, []int64{1, 1, 1, 1}, comms)
	ps, err := e.svc.Proposals(ctx, ct.Tutor, e.id)
	require.NoError(t, err)
	assert.Len(t, ps, 1)
	cs, err := e.svc.Comments(ctx, ct.Tutor, e.id)
	require.NoError(t, err)
	assert.Len(t, cs, 1)
}
