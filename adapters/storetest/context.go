package storetest

import (
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/coaching"
)

// The port: "Every method takes a context first. A cancelled context aborts
// the call". Aborting means the call does not succeed: it returns (or, for
// Cases, yields) an error. Which error is not specified (a SQL store may
// wrap context.Canceled or return sql.ErrTxDone), so only "an error" is
// required.
func contextCases() []testCase {
	return []testCase{
		{
			name: "ViewCancelled",
			rule: "a cancelled context aborts Store.View with an error",
			run: func(e *env) {
				e.seed("c-1")
				err := e.store.View(cancelled(e.ctx), func(tx coaching.ReadTx) error {
					_, err := tx.Case(e.ctx, "c-1")
					return err
				})
				assert.Error(e, err, "View with a cancelled context must fail")
			},
		},
		{
			name: "CasesCancelled",
			rule: "a cancelled context aborts Store.Cases: it yields an error with a zero Case and stops",
			run: func(e *env) {
				e.seed("c-1", "c-2", "c-3")
				var yielded, errs, afterErr int
				for c, err := range e.store.Cases(cancelled(e.ctx), coaching.CaseQuery{}) {
					yielded++
					if errs > 0 {
						afterErr++
					}
					if err != nil {
						errs++
						assert.Zero(e, c, "the error must be yielded with a zero Case")
					}
				}
				assert.Equal(e, 1, errs, "Cases with a cancelled context must yield exactly one error")
				assert.Zero(e, afterErr, "iteration must stop at the first error")
				assert.Less(e, yielded, 4, "Cases with a cancelled context must not stream every case")
			},
		},
		{
			name: "DueTimersCancelled",
			rule: "a cancelled context aborts Store.DueTimers with an error",
			run: func(e *env) {
				e.seed("c-1")
				e.putTimer(timer("t-1", "c-1", at(0)))
				_, err := e.store.DueTimers(cancelled(e.ctx), at(day), 10)
				assert.Error(e, err, "DueTimers with a cancelled context must fail")
			},
		},
		{
			name: "ClaimNoticesCancelled",
			rule: "a cancelled context aborts Outbox.ClaimNotices with an error and claims nothing",
			run: func(e *env) {
				e.seed("c-1")
				e.enqueue(notice("n-1", "c-1", "k", at(0)))
				_, err := e.store.ClaimNotices(cancelled(e.ctx), coaching.ClaimParams{Now: at(day), Limit: 10, Lease: hour})
				require.Error(e, err, "ClaimNotices with a cancelled context must fail")
				n := e.mustNotice("n-1")
				assert.Equal(e, coaching.NoticePending, n.Status, "an aborted claim must not change the notice")
				assert.Zero(e, n.Attempts, "an aborted claim must not count an attempt")
			},
		},
		{
			name: "CompleteNoticeCancelled",
			rule: "a cancelled context aborts Outbox.CompleteNotice with an error and records nothing",
			run: func(e *env) {
				e.seed("c-1")
				e.enqueue(notice("n-1", "c-1", "k", at(0)))
				require.Len(e, e.claim(at(0), 10, hour), 1)
				err := e.store.CompleteNotice(cancelled(e.ctx), "n-1", 1, coaching.NoticeResult{Status: coaching.NoticeSent, At: at(1)})
				require.Error(e, err, "CompleteNotice with a cancelled context must fail")
				assert.Equal(e, coaching.NoticeClaimed, e.mustNotice("n-1").Status, "an aborted completion must not change the notice")
			},
		},
		{
			name: "NoticeReadsCancelled",
			rule: "a cancelled context aborts Outbox.Notice and Outbox.Notices with an error",
			run: func(e *env) {
				e.seed("c-1")
				e.enqueue(notice("n-1", "c-1", "k", at(0)))
				_, err := e.store.Notice(cancelled(e.ctx), "n-1")
				assert.Error(e, err, "Notice with a cancelled context must fail")
				_, err = e.store.Notices(cancelled(e.ctx), coaching.NoticeQuery{})
				assert.Error(e, err, "Notices with a cancelled context must fail")
			},
		},
	}
}
