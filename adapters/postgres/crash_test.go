package postgres_test

import (
	"bufio"
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/coaching"
	ct "github.com/valmennus/valmennus/coaching/coachingtest"
)

// A writer process is killed with SIGKILL in the middle of a load, then
// restarted. Afterwards every case is in the state its audit trail
// explains, every transition the writer saw committed is in the trail, and
// every committed transition's notice is in the outbox.
func TestCrashWriter(t *testing.T) {
	testDSN(t)
	t.Parallel()
	ctx := context.Background()
	store := newStore(t)
	eng := newEngine(t, store)
	var ids []string
	for i := range 4 {
		id := fmt.Sprintf("cr-%d", i)
		openValo(t, eng, coaching.CaseID(id))
		ids = append(ids, id)
	}
	env := map[string]string{envSchema: store.Schema(), envCases: strings.Join(ids, ",")}
	type commit struct {
		id  string
		seq int64
	}
	var (
		mu        sync.Mutex
		committed []commit
	)
	run := func(env map[string]string, kill time.Duration) {
		pctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		cmd, out := startHelper(t, pctx, "writer", env)
		ready := make(chan struct{})
		done := make(chan struct{})
		go func() {
			defer close(done)
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				line := sc.Text()
				if line == "READY" {
					close(ready)
					continue
				}
				if rest, ok := strings.CutPrefix(line, "COMMITTED "); ok {
					seq, id, _ := strings.Cut(rest, " ")
					n, err := strconv.ParseInt(seq, 10, 64)
					if assert.NoError(t, err) {
						mu.Lock()
						committed = append(committed, commit{id: id, seq: n})
						mu.Unlock()
					}
				}
			}
		}()
		select {
		case <-ready:
		case <-pctx.Done():
			t.Fatal("the writer did not start")
		}
		if kill > 0 {
			time.Sleep(kill)
			require.NoError(t, cmd.Process.Kill()) // SIGKILL: no deferred clean-up, no rollback from the process
			<-done
			err := cmd.Wait()
			require.Error(t, err, "the writer was killed")
			return
		}
		<-done
		require.NoError(t, cmd.Wait(), "the restarted writer")
	}

	run(env, time.Second)
	mu.Lock()
	beforeRestart := len(committed)
	mu.Unlock()
	require.Positive(t, beforeRestart, "the writer committed nothing before it was killed")

	// Restart: the killed process's transactions were rolled back by the
	// server when its connections dropped, and nothing it held blocks the
	// new process.
	restart := map[string]string{envFireUntil: strconv.FormatInt(time.Now().Add(1500*time.Millisecond).UnixMilli(), 10)}
	for k, v := range env {
		restart[k] = v
	}
	run(restart, 0)
	require.Greater(t, len(committed), beforeRestart, "the restarted writer committed nothing")

	notices, err := store.Notices(ctx, coaching.NoticeQuery{})
	require.NoError(t, err)
	byID := map[string]coaching.Notice{}
	for _, n := range notices {
		byID[n.ID] = n
	}
	trails := map[string][]coaching.AuditEntry{}
	for _, id := range ids {
		c, err := eng.Case(ctx, inspector, coaching.CaseID(id))
		require.NoError(t, err)
		trail, err := ct.ReadCase(ctx, eng, inspector, coaching.OpReadCase, coaching.CaseID(id), (*coaching.CaseView).AuditTrail)
		require.NoError(t, err)
		requireExplained(t, c, trail)
		trails[id] = trail
		// Every transition in the trail has its notice: they committed
		// together.
		for _, a := range trail[1:] {
			nid := fmt.Sprintf("%s:%d:transition:sc-1", id, a.Seq)
			_, ok := byID[nid]
			assert.True(t, ok, "the notice of committed transition %s/%d is missing", id, a.Seq)
		}
	}
	for _, c := range committed {
		trail := trails[c.id]
		require.GreaterOrEqual(t, int64(len(trail)), c.seq, "transition %s/%d was reported committed but is not in the trail", c.id, c.seq)
		a := trail[c.seq-1]
		assert.Contains(t, []string{coaching.ValoPause, coaching.ValoResumeAcquisition}, a.Event)
	}
	t.Logf("crash: %d transitions committed before SIGKILL, %d after the restart, %d notices in the outbox", beforeRestart, len(committed)-beforeRestart, len(notices))
}

// A dispatcher claims notices and dies (SIGKILL) before it completes them.
// Their leases hold until they expire; then another dispatcher claims them
// again (attempt 2) and delivers them, and a late answer from the dead
// claim could not overwrite the new one.
func TestCrashedDispatcherLeaseExpires(t *testing.T) {
	testDSN(t)
	t.Parallel()
	ctx := context.Background()
	store := newStore(t)
	eng := newEngine(t, store)
	openValo(t, eng, "le-1")
	openValo(t, eng, "le-2")

	const lease = 1500 * time.Millisecond
	pctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	cmd, out := startHelper(t, pctx, "claimer", map[string]string{envSchema: store.Schema(), envCases: "le-1", envLease: lease.String()})
	claimed := map[string]int{}
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if sc.Text() == "READY" {
			break
		}
		if rest, ok := strings.CutPrefix(sc.Text(), "CLAIMED "); ok {
			att, id, _ := strings.Cut(rest, " ")
			n, _ := strconv.Atoi(att)
			claimed[id] = n
		}
	}
	claimedAt := time.Now()
	require.NoError(t, cmd.Process.Kill())
	_ = cmd.Wait()
	require.Len(t, claimed, 3, "the dead dispatcher claimed three of the four notices")

	// While the leases hold, nobody else gets those notices.
	got, err := store.ClaimNotices(ctx, coaching.ClaimParams{Now: time.Now(), Limit: 10, Lease: time.Minute})
	require.NoError(t, err)
	if time.Since(claimedAt) < lease {
		require.Len(t, got, 1, "only the unclaimed notice is claimable while the leases hold")
		assert.NotContains(t, claimed, got[0].ID)
	}

	// After the leases expired the notices are claimed again.
	time.Sleep(time.Until(claimedAt.Add(lease + 100*time.Millisecond)))
	again, err := store.ClaimNotices(ctx, coaching.ClaimParams{Now: time.Now(), Limit: 10, Lease: time.Minute})
	require.NoError(t, err)
	require.Len(t, again, 3, "the dead dispatcher's notices are reclaimed after their lease")
	for _, n := range again {
		require.Contains(t, claimed, n.ID)
		assert.Equal(t, claimed[n.ID]+1, n.Attempts, "the reclaim is the next attempt")
		// The dead claim's answer would be refused.
		err := store.CompleteNotice(ctx, n.ID, claimed[n.ID], coaching.NoticeResult{Status: coaching.NoticeSent, At: time.Now()})
		require.ErrorIs(t, err, coaching.ErrConflict)
		require.NoError(t, store.CompleteNotice(ctx, n.ID, n.Attempts, coaching.NoticeResult{Status: coaching.NoticeSent, At: time.Now()}))
	}
	sent, err := store.Notices(ctx, coaching.NoticeQuery{Status: coaching.NoticeSent})
	require.NoError(t, err)
	assert.Len(t, sent, 3)
}
