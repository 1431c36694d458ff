package outcomes

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/pathway"
)

func suppressed(t *testing.T, values []int64, rels []relation, threshold int64) []int {
	t.Helper()
	s, err := suppress(values, rels, threshold)
	if err != nil {
		t.Fatal(err)
	}
	var out []int
	for i, x := range s {
		if x {
			out = append(out, i)
		}
	}
	return out
}

func TestSuppressSingleSmallCellTakesTheSmallestOtherCell(t *testing.T) {
	// women, men, non-binary, unknown of a published total 40.
	got := suppressed(t, []int64{22, 15, 3, 0}, []relation{sumCells(0, 1, 2, 3)}, 5)
	// The 3 is primary; the zero is published, so the complement is the
	// smallest non-zero cell, 15.
	if !slices.Equal(got, []int{1, 2}) {
		t.Fatalf("suppressed %v, want [1 2]", got)
	}
}

func TestSuppressZerosArePublishedButCanComplement(t *testing.T) {
	if got := suppressed(t, []int64{10, 0, 7}, []relation{sumCells(0, 1, 2)}, 5); len(got) != 0 {
		t.Fatalf("suppressed %v, want none: a zero is published", got)
	}
	// One small cell and only a zero left: the zero is the complement.
	if got := suppressed(t, []int64{2, 0}, []relation{sumCells(0, 1)}, 5); !slices.Equal(got, []int{0, 1}) {
		t.Fatalf("suppressed %v, want [0 1]", got)
	}
	// Two small cells protect each other; nothing else is needed.
	if got := suppressed(t, []int64{2, 4, 30}, []relation{sumCells(0, 1, 2)}, 5); !slices.Equal(got, []int{0, 1}) {
		t.Fatalf("suppressed %v, want [0 1]", got)
	}
}

func TestSuppressIteratesAcrossOverlappingGroups(t *testing.T) {
	// Group A = cells 0..2, group B = cells 2..4 (cell 2 is in both).
	// Cell 0 is small; A's complement is cell 2 (6, its smallest), which
	// leaves B with one suppressed cell, so B's smallest published cell,
	// cell 3 (8), follows.
	got := suppressed(t, []int64{1, 30, 6, 8, 20}, []relation{sumCells(0, 1, 2), sumCells(2, 3, 4)}, 5)
	if !slices.Equal(got, []int{0, 2, 3}) {
		t.Fatalf("suppressed %v, want [0 2 3]", got)
	}
}

func TestSuppressRefusesABadThreshold(t *testing.T) {
	if _, err := suppress([]int64{1}, nil, 0); err == nil {
		t.Fatal("threshold 0 accepted")
	}
	if _, err := suppress([]int64{1}, []relation{sumCells(3)}, 5); err == nil {
		t.Fatal("a relation naming a missing cell accepted")
	}
}

// checkPerGroup asserts the rule a reader checks first: every primary cell
// is suppressed, and no published total has exactly one suppressed cell
// under it.
func checkPerGroup(t *testing.T, values []int64, rels []relation, s []bool, threshold int64) {
	t.Helper()
	for i, v := range values {
		if v > 0 && v < threshold && !s[i] {
			t.Fatalf("cell %d = %d published (values %v)", i, v, values)
		}
	}
	for _, r := range rels {
		if countSuppressed(s, r) == 1 {
			t.Fatalf("relation %v has one suppressed cell (values %v, suppressed %v)", r, values, s)
		}
	}
}

func TestSuppressRandomOneWayTables(t *testing.T) {
	rng := rand.New(rand.NewPCG(20, 5))
	for range 2000 {
		n := 2 + rng.IntN(6)
		values := make([]int64, n)
		for i := range values {
			values[i] = int64(rng.IntN(12))
		}
		rels := []relation{sumCells(seq(0, n)...)}
		s, err := suppress(values, rels, 5)
		if err != nil {
			t.Fatal(err)
		}
		checkPerGroup(t, values, rels, s, 5)
		if c, ok := firstDetermined(s, func(int) bool { return false }, rels); ok {
			t.Fatalf("cell %d recomputable (values %v, suppressed %v)", c, values, s)
		}
	}
}

// TestSuppressRandomTwoWayTables: interior cells of an r×c table with
// every row total, column total and the grand total published. A
// suppressed cell can be recomputed exactly when it is a bridge of the
// bipartite graph whose edges are the suppressed cells (rows and columns
// its vertices): no cycle of suppressed cells runs through it, so no
// change of the suppressed cells that keeps every margin moves it. The
// check is graph-theoretic, independent of the algebra suppress uses.
func TestSuppressRandomTwoWayTables(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 20))
	for range 3000 {
		rows, cols := 2+rng.IntN(4), 2+rng.IntN(4)
		values := make([]int64, rows*cols)
		for i := range values {
			values[i] = int64(rng.IntN(15))
		}
		rels := append(margins(rows, cols), sumCells(seq(0, rows*cols)...))
		s, err := suppress(values, rels, 5)
		if err != nil {
			t.Fatal(err)
		}
		checkPerGroup(t, values, rels, s, 5)
		for i, x := range s {
			if x && isBridge(s, rows, cols, i) {
				t.Fatalf("%d×%d table %v: suppressed cell %d recomputable from the margins (suppressed %v)", rows, cols, values, i, s)
			}
		}
	}
}

// isBridge reports whether removing suppressed cell e disconnects its row
// from its column in the graph of the other suppressed cells.
func isBridge(s []bool, rows, cols, e int) bool {
	// vertices: rows 0..rows-1, columns rows..rows+cols-1.
	adj := make([][]int, rows+cols)
	for i, x := range s {
		if x && i != e {
			r, c := i/cols, rows+i%cols
			adj[r] = append(adj[r], c)
			adj[c] = append(adj[c], r)
		}
	}
	from, to := e/cols, rows+e%cols
	seen := make([]bool, rows+cols)
	stack := []int{from}
	seen[from] = true
	for len(stack) > 0 {
		v := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, w := range adj[v] {
			if !seen[w] {
				seen[w] = true
				stack = append(stack, w)
			}
		}
	}
	return !seen[to]
}

// TestSuppressTwoCyclesJoinedByABridge: every row and column holds 0 or 2
// suppressed cells, yet cell (0,0) would be recomputable — the per-group
// rule alone is not enough, the algebra must add a cell.
func TestSuppressTwoCyclesJoinedByABridge(t *testing.T) {
	// 5×5, every cell small is primary: a 6-cycle, a 4-cycle and one cell
	// linking them.
	rows, cols := 5, 5
	values := make([]int64, rows*cols)
	for i := range values {
		values[i] = 50
	}
	small := [][2]int{{0, 0}, {0, 1}, {1, 1}, {1, 2}, {2, 2}, {2, 0}, // a 6-cycle: r0 r1 r2 / c0 c1 c2
		{3, 3}, {3, 4}, {4, 3}, {4, 4}} // a 4-cycle: r3 r4 / c3 c4
	for _, p := range small {
		values[p[0]*cols+p[1]] = 2
	}
	values[2*cols+3] = 1 // the bridge r2–c3; r2 and c3 now hold 3 suppressed cells
	rels := margins(rows, cols)
	s, err := suppress(values, rels, 5)
	if err != nil {
		t.Fatal(err)
	}
	for i, x := range s {
		if x && isBridge(s, rows, cols, i) {
			t.Fatalf("suppressed cell %d recomputable (suppressed %v)", i, s)
		}
	}
	if countSuppressed(s, sumCells(seq(0, rows*cols)...)) <= len(small)+1 {
		t.Fatalf("no complementary cell added for the bridge (suppressed %v)", s)
	}
}

// margins are the row and column totals of a rows×cols table stored row
// by row.
func margins(rows, cols int) []relation {
	var rels []relation
	for r := range rows {
		rels = append(rels, sumCells(seq(r*cols, r*cols+cols)...))
	}
	for c := range cols {
		var cells []int
		for r := range rows {
			cells = append(cells, r*cols+c)
		}
		rels = append(rels, sumCells(cells...))
	}
	return rels
}

func seq(from, to int) []int {
	out := make([]int, 0, to-from)
	for i := from; i < to; i++ {
		out = append(out, i)
	}
	return out
}

// randomCohort is n cases with random background facts and destinations,
// some facts missing.
func randomCohort(rng *rand.Rand, n int) []Input {
	genders := []coaching.Gender{coaching.GenderFemale, coaching.GenderMale, coaching.GenderNonBinary, coaching.GenderUnknown}
	labour := []coaching.LabourStatus{coaching.LabourUnemployed, coaching.LabourEmployed, coaching.LabourInactive, coaching.LabourInEducation, coaching.LabourUnknown}
	edu := []coaching.EducationLevel{coaching.EducationBasic, coaching.EducationVocational, coaching.EducationHigher, coaching.EducationGeneralUpperSecondary, ""}
	kinds := pathway.Kinds()
	entry := coaching.NewDate(2016, time.March, 1)
	ins := make([]Input, n)
	for i := range ins {
		in := &ins[i]
		in.Case = coaching.Case{ID: coaching.CaseID(fmt.Sprint("c", i)), Model: coaching.ModelVALO, State: coaching.ValoClosed,
			OpenedAt: entry.At(9, 0), ClosedAt: entry.AddDays(183).At(15, 0)}
		bg := &in.Participant.Background
		bg.Gender = genders[rng.IntN(len(genders))]
		bg.LabourStatus = labour[rng.IntN(len(labour))]
		bg.EducationLevel = edu[rng.IntN(len(edu))]
		in.Participant.BirthDate = coaching.NewDate(1960+rng.IntN(45), time.June, 1)
		k := kinds[rng.IntN(len(kinds))]
		in.Destination = &pathway.Destination{Kind: k, Date: coaching.DateOf(in.Case.ClosedAt)}
		in.UponLeaving = kinds[rng.IntN(len(kinds))]
	}
	return ins
}

// TestSuppressedFiguresCannotBeRecomputed: over random cohorts, no
// suppressed cell of the VALO table or the ESF report is determined by the
// published cells and every relation a reader knows between them (the
// breakdowns' sums, the destination rows summing to the positive-path rows,
// the indicators' totals, the same figure in both programmes, the
// partitions of all participants).
func TestSuppressedFiguresCannotBeRecomputed(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 77))
	never := func(int) bool { return false }
	for range 150 {
		ins := randomCohort(rng, 5+rng.IntN(60))
		v, e := NewVALO(nil), NewESF()
		for i := range ins {
			v.Add(&ins[i])
			e.Add(&ins[i])
		}
		tb, err := v.Table(SeedOptions())
		if err != nil {
			t.Fatal(err)
		}
		st, err := tb.Suppress(0)
		if err != nil {
			t.Fatal(err)
		}
		values, rels := valoCells(tb.Rows)
		s := make([]bool, len(st.Rows))
		for i, r := range st.Rows {
			s[i] = r.Suppressed
			if !r.Suppressed && r.Count != values[i] {
				t.Fatalf("row %s published %d, counted %d", r.Key, r.Count, values[i])
			}
		}
		checkPerGroup(t, values, rels, s, DefaultSuppressionThreshold)
		if c, ok := firstDetermined(s, never, rels); ok {
			t.Fatalf("VALO row %s recomputable (table %v)", tb.Rows[c].Key, values)
		}

		rep := e.Report()
		sr, err := rep.Suppress(0)
		if err != nil {
			t.Fatal(err)
		}
		values, hidden, rels := esfCells(rep.Indicators)
		s = make([]bool, len(values))
		for i, x := range sr.Indicators {
			for f, name := range esfField {
				s[i*len(esfField)+f] = slices.Contains(x.Suppressed, name)
			}
		}
		isHidden := func(i int) bool { return hidden[i] && values[i] != 0 }
		for i := range s {
			if isHidden(i) {
				s[i] = true
			}
			if !s[i] && !hidden[i] && values[i] > 0 && values[i] < DefaultSuppressionThreshold {
				t.Fatalf("ESF cell %d = %d published", i, values[i])
			}
		}
		if c, ok := firstDetermined(s, isHidden, rels); ok {
			t.Fatalf("ESF %s %s recomputable", rep.Indicators[c/len(esfField)].Code, esfField[c%len(esfField)])
		}
	}
}
