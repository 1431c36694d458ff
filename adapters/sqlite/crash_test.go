package sqlite_test

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/adapters/sqlite"
	"github.com/valmennus/valmennus/coaching"
)

// The crash test runs a writer in a child process (this test binary again,
// running only TestHelperWriter) that fires events on the cases of a
// database file as fast as it can, from several goroutines, and reports
// every committed Fire on stdout. The parent SIGKILLs it after about a
// second, reopens the file and checks that what committed is all there and
// consistent: each case's audit trail is gapless 1..Version and the case's
// state is the last entry's To (case, audit entry and outbox are one
// transaction), every notice a reported commit enqueued is in the outbox,
// no notice exists without its audit entry, and the deadline timers match
// the cases. Then it restarts the writer on the same file and does it
// again.

const (
	crashDBEnv   = "VALMENNUS_SQLITE_CRASH_DB"
	crashCases   = 24
	crashRounds  = 2
	crashRunTime = time.Second
	notified     = "coach-2" // the team member told of every pause and resume
)

// crashModel is VALO whose pause and resume notify the coach on the team,
// so that every transition also writes to the outbox.
func crashModel(t testing.TB) *coaching.Model {
	spec := coaching.VALOSpec()
	for i := range spec.Events {
		switch spec.Events[i].Name {
		case coaching.ValoPause, coaching.ValoResumeAcquisition:
			spec.Events[i].Notify = []coaching.Role{coaching.RoleCoach}
		}
	}
	m, err := coaching.BuildModel(spec)
	require.NoError(t, err)
	return m
}

// TestHelperWriter is the child process of TestCrashRecovery; it does
// nothing in a normal test run.
func TestHelperWriter(t *testing.T) {
	path := os.Getenv(crashDBEnv)
	if path == "" {
		t.Skip("the writer process of TestCrashRecovery")
	}
	ctx := context.Background()
	store, err := sqlite.Open(ctx, path, nil) // the parent migrated
	if err != nil {
		fmt.Fprintln(os.Stderr, "open:", err)
		os.Exit(2)
	}
	eng, err := coaching.New(store, &coaching.Options{Models: []*coaching.Model{crashModel(t)}})
	if err != nil {
		fmt.Fprintln(os.Stderr, "engine:", err)
		os.Exit(2)
	}
	var ids []coaching.CaseID
	for c, err := range store.Cases(ctx, coaching.CaseQuery{}) {
		if err != nil {
			fmt.Fprintln(os.Stderr, "cases:", err)
			os.Exit(2)
		}
		ids = append(ids, c.ID)
	}
	var out sync.Mutex
	report := func(line string) {
		out.Lock()
		defer out.Unlock()
		_, _ = os.Stdout.WriteString(line) // one write per line: atomic on a pipe
	}
	report("READY\n")
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			rnd := rand.New(rand.NewPCG(uint64(w), uint64(os.Getpid())))
			for n := 0; ; n++ {
				id := ids[rnd.IntN(len(ids))]
				c, err := eng.Case(ctx, inspector, id)
				if err != nil {
					fmt.Fprintln(os.Stderr, "case:", err)
					os.Exit(2)
				}
				event, opts := coaching.ValoPause, &coaching.FireOptions{Reason: "sick leave"}
				if c.State == coaching.ValoPaused {
					event, opts = coaching.ValoResumeAcquisition, &coaching.FireOptions{}
				}
				if n%3 == 0 {
					opts.IdempotencyKey = fmt.Sprintf("w%d-%d-%d", w, os.Getpid(), n)
				}
				res, err := eng.Fire(ctx, coach, id, event, opts)
				if err != nil {
					// Another goroutine changed the case first: fine.
					continue
				}
				var b strings.Builder
				fmt.Fprintf(&b, "COMMIT %s %d", id, res.Case.Version)
				for _, nt := range res.Notices {
					b.WriteString(" " + nt.ID)
				}
				b.WriteString("\n")
				report(b.String())
			}
		})
	}
	wg.Wait()
}

type commit struct {
	id      coaching.CaseID
	version int64
	notices []string
}

func TestCrashRecovery(t *testing.T) {
	if os.Getenv(crashDBEnv) != "" {
		t.Skip("inside the writer process")
	}
	if testing.Short() {
		t.Skip("starts and kills writer processes")
	}
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "crash.db")
	store, err := sqlite.Open(ctx, path, &sqlite.Options{Migrate: true})
	require.NoError(t, err)
	eng := newEngine(t, store, crashModel(t))
	for i := range crashCases {
		c, err := eng.Enrol(ctx, coach, coaching.EnrolParams{Model: coaching.ModelVALO, Participant: participant(coaching.ParticipantID(fmt.Sprintf("p-%02d", i))),
			CaseID: coaching.CaseID(fmt.Sprintf("case-%02d", i)),
			Team: []coaching.TeamMember{{ActorID: "coach-1", Role: coaching.RoleCoach, Name: "Maija Kares"},
				{ActorID: notified, Role: coaching.RoleCoach, Name: "Kalle Kares"}}})
		require.NoError(t, err)
		met := coaching.CriterionMet
		_, err = eng.Fire(ctx, coach, c.ID, coaching.ValoAdmit, &coaching.FireOptions{Payload: coaching.EntryAssessment{
			Motivation: met, WorkingLifeSkills: met, AttendanceCommitment: met, WorkCommitment: met, GoalCommitment: met}})
		require.NoError(t, err)
		_, err = eng.Fire(ctx, coach, c.ID, coaching.ValoStartAcquisition, &coaching.FireOptions{Payload: coaching.InductionFindings{
			FieldSuitability: "good", WorkingLifeSkills: "good", CurrentCompetence: "basic"}})
		require.NoError(t, err)
	}
	require.NoError(t, store.Close())

	var all []commit
	for round := range crashRounds {
		commits := runAndKill(t, path)
		require.NotEmpty(t, commits, "round %d: the writer committed nothing before it was killed", round)
		t.Logf("round %d: %d commits reported before SIGKILL", round, len(commits))
		all = append(all, commits...)
		checkAfterCrash(t, path, all)
	}
}

// runAndKill starts the writer process, lets it run for crashRunTime once
// it has reported its first commit, kills it with SIGKILL and returns the
// commits it reported.
func runAndKill(t *testing.T, path string) []commit {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperWriter$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashDBEnv+"="+path)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())

	lines := make(chan string, 1024)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	var commits []commit
	var killed bool
	ready := time.After(30 * time.Second) // for the writer to start
	var kill <-chan time.Time
	for lines != nil {
		select {
		case line, ok := <-lines:
			switch {
			case !ok:
				lines = nil
			case line == "READY":
				// The writer has up to 30 more seconds to commit its
				// first transition (the race detector on a loaded
				// machine slows it many times over)…
				ready = time.After(30 * time.Second)
			case strings.HasPrefix(line, "COMMIT "):
				f := strings.Fields(line)
				v, err := strconv.ParseInt(f[2], 10, 64)
				require.NoError(t, err, "line %q", line)
				commits = append(commits, commit{id: coaching.CaseID(f[1]), version: v, notices: f[3:]})
				if kill == nil && !killed {
					// …and is killed crashRunTime after it: every round
					// kills a writer with commits behind it and more
					// in flight.
					kill, ready = time.After(crashRunTime), nil
				}
			}
		case <-kill:
			require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
			killed, kill = true, nil
		case <-ready:
			_ = cmd.Process.Kill()
			t.Fatalf("the writer did not start or commit nothing: %s", stderr.String())
		}
	}
	err = cmd.Wait()
	require.True(t, killed, "the writer ended by itself: %v\n%s", err, stderr.String())
	ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus)
	require.True(t, ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL, "the writer was not killed by SIGKILL: %v", err)
	return commits
}

// checkAfterCrash reopens the file and checks every invariant.
func checkAfterCrash(t *testing.T, path string, commits []commit) {
	t.Helper()
	ctx := t.Context()
	store, err := sqlite.Open(ctx, path, nil)
	require.NoError(t, err)
	defer store.Close()
	var ok string
	require.NoError(t, store.DB().QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&ok))
	require.Equal(t, "ok", ok)

	versions := map[coaching.CaseID]int64{}
	timers, err := store.DueTimers(ctx, time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC), 0)
	require.NoError(t, err)
	timerKeys := map[string]bool{}
	for _, tm := range timers {
		timerKeys[tm.Key] = true
	}
	for c, err := range store.Cases(ctx, coaching.CaseQuery{}) {
		require.NoError(t, err)
		versions[c.ID] = c.Version
		var trail []coaching.AuditEntry
		require.NoError(t, store.View(ctx, func(tx coaching.ReadTx) error {
			var err error
			trail, err = tx.AuditTrail(ctx, c.ID, 0)
			return err
		}))
		require.Len(t, trail, int(c.Version), "case %s: one audit entry per version", c.ID)
		for i, a := range trail {
			require.Equal(t, int64(i+1), a.Seq, "case %s: the audit trail has a gap", c.ID)
		}
		last := trail[len(trail)-1]
		require.Equal(t, last.To, c.State, "case %s: the state is not the one its last audit entry moved it to", c.ID)
		// The deadline timer moves with the case: none while paused, the
		// phase's own while active.
		key := "deadline:" + string(c.ID) + ":" + strconv.FormatInt(c.Phase.EntrySeq, 10)
		if c.State == coaching.ValoPaused {
			assert.False(t, timerKeys[key], "case %s is paused but its deadline timer is set", c.ID)
		} else {
			assert.True(t, timerKeys[key], "case %s is active but its deadline timer %s is missing", c.ID, key)
		}
		// Every transition notice in the outbox has its audit entry.
		ns, err := store.Notices(ctx, coaching.NoticeQuery{CaseID: c.ID, Kind: coaching.NoticeKindTransition})
		require.NoError(t, err)
		for _, n := range ns {
			parts := strings.Split(n.ID, ":")
			require.Len(t, parts, 4, "notice id %q", n.ID)
			seq, err := strconv.ParseInt(parts[1], 10, 64)
			require.NoError(t, err)
			assert.LessOrEqual(t, seq, c.Version, "notice %s has no audit entry: it outlived its transaction", n.ID)
		}
	}
	require.Len(t, versions, crashCases)
	lost := 0
	for _, cm := range commits {
		if versions[cm.id] < cm.version {
			t.Errorf("case %s: version %d was reported committed, the file has %d", cm.id, cm.version, versions[cm.id])
		}
		require.NotEmpty(t, cm.notices, "a pause or resume notifies %s", notified)
		for _, id := range cm.notices {
			if _, err := store.Notice(ctx, id); err != nil {
				lost++
				t.Errorf("notice %s of a committed transition is missing: %v", id, err)
			}
		}
	}
	assert.Zero(t, lost)
}
