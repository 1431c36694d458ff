// Package outcomes computes the figures coaching is judged by, from cases
// streamed out of any store: the VALO figures table, the ESF common
// indicators (2014–2020 CO/CR and ESF+ EECO/EECR) and the #Valmennus-pilotti
// measures.
//
// # Streaming
//
// Figures are computed by aggregators fed one [Input] at a time
// ([VALOAggregator.Add], [ESFAggregator.Add]); they hold a fixed set of
// counters, so memory stays flat however many cases flow through, and Add
// allocates nothing. [Feed] drives any number of aggregators from an
// iter.Seq2 of cases (coaching.Store.Cases) through a [Resolver];
// [StoreResolver] reads the participant and the destination and follow-up
// records (pathway.RecordDestination, pathway.RecordUponLeaving,
// pathway.RecordSixMonths) from a store; [FromStore] does both.
//
// A store can offer the figures a narrow read: [FactsStreamer], the
// figures port, streams only the facts the aggregators need per case (its
// columns, opening and closing instants, the destination and follow-up
// records, the participant's birth date and background) as the store
// keeps them, and outcomes decodes them with the same rules as whole cases
// and participants. [FromStore] uses it when the store has it (the SQL
// adapters do, with one narrow SELECT) and falls back to
// coaching.CaseStreamer or Store.Cases otherwise; the figures are the same
// on every path (outcomes/figurestest checks a store's port against whole
// cases over a varied cohort).
//
// # Exactness
//
// Every percentage is computed exactly in decimal arithmetic
// (shopspring/decimal) from integer counts and cut by an explicit
// [Rounding] rule: [RoundHalfUp] (the default), [Truncate] or
// [LargestRemainder] (the rows of one breakdown sum to exactly 100). Every
// report states its denominator and its rounding rule. The VALO seed mixes
// rules (23/77 = 29.87 % printed 29.8, the other rows half up), so
// [SeedOptions] reproduces it exactly and no single rule does.
//
// # Missing facts and empty cohorts
//
// A case whose fact is missing (no birth date, no education level, no
// destination yet, ...) is counted in an explicit unknown row, never
// dropped, so every breakdown sums to its denominator. A report over an
// empty cohort says so (Empty) and has no percentages; ratio functions
// return [ErrEmptyCohort] instead of dividing by zero.
//
// # What a row counts
//
// Each figure built from a destination or an education level counts
// through one declared mapping, and the texts that say what it counts are
// generated from the same mapping: the VALO "positive onward path (studies
// or work)" counts exactly the positive destinations in studies or work,
// and other positive destinations (by default a redirect to a better-suited
// field, a success in the first-year pilot's sense) have their own row;
// every destination and education row lists what it includes
// ([Row.Includes]) and the table's notes say which destinations the
// positive rows count. The ESF result indicators read the status after
// leaving through one mapping to job searching, education or training and
// employment ([Indicator.Destinations], [ESFReport.Notes]).
//
// # Small-number protection
//
// Figures that leave the organisation (a funder's: the adapters apply it
// to the funder's role; the organisation's own head of studies keeps exact
// figures) go through [VALOTable.Suppress] and [ESFReport.Suppress]. A
// count from 1 to threshold-1 is suppressed (primary suppression); the
// threshold is [DefaultSuppressionThreshold], 5 — the common Finnish
// statistical practice (Statistics Finland's and THL's small-cell rules)
// — and configurable. A zero is published: it singles nobody out, though
// in a breakdown it can say something of everyone else ("all were
// unemployed"); a report that must hide that coarsens its breakdowns.
// Complementary suppression then hides more cells until no suppressed cell
// can be recomputed from what is published: every group of cells with a
// published sum (a breakdown and its denominator; an indicator's gender
// cells and its total; the destination rows a positive-path row is the sum
// of; the same figure in the ESF 2014–2020 and ESF+ indicators; the
// labour-status and ISCED indicators that split all participants) holds
// none or at least two suppressed cells, the smallest non-zero cell taken
// first, repeated until stable across overlapping groups; and a final
// check in exact rational arithmetic adds cells while any suppressed
// cell is still determined by chains of groups (two rings of suppressed
// cells joined by one cell satisfy the per-group rule yet give the
// joining cell away). Percentages of suppressed cells are suppressed too.
// A suppressed VALO row has [Row.Suppressed] (count null in JSON); an
// indicator lists its suppressed cells in [Indicator.Suppressed] (null in
// JSON); Markdown and CSV show [SuppressedMark] with a footnote in the
// notes. Denominators are published: a cohort smaller than the threshold
// should not be reported outside at all. The check is linear: it shows no
// suppressed value is unique, not how narrow its range is.
//
// # ESF+ participant forms
//
// [ReadESFForms] reads the per-participant data behind EECO and EECR (the
// EURA 2021 participant forms at entry and exit) from the same facts as
// the indicators, under the access policy: personal data, refused to a
// funder ([ErrFormsForFunder]), read by the organisation's head of
// studies, never with identity codes. [ESFForms] writes CSV for Finnish
// Excel or JSON, with the column table [DefaultFormColumns] (labels to be
// checked against the funder's current form; a host overrides them), and
// reports which participant lacks which fact ([ESFForms.Completeness]).
//
// # Which coaching works
//
// [NewElements] relates the coaching recorded in sessions
// (coaching/session: the approach elements, peer support and hours) to
// the onward paths of a cohort's leavers (the cases that have left:
// closed, or with a destination): for each element and for peer support
// the leavers whose sessions had it against those whose did not, and the
// leavers by hours of coaching in fixed bands ([HoursBands]). Each group
// gives n, the positive onward paths (the VALO row's classification) and
// the retained (the pilot's [RetentionCohort] classification for a
// student who left), each as a count, an exact decimal rate rounded half
// up to 0.1 and a [Wilson] 95 % interval (float64, rounded to 0.1). A
// group under [MinGroup] (5) shows its counts only; the notes name any
// pair of groups whose intervals do not overlap and claim no difference
// for the rest; and the report says it is association, not effect (who
// stays longer gets more sessions). It is an aggregate with no
// per-participant data: the head of studies reads it under read_figures
// ([FromEngine]), and it may go to a funder as it is.
//
// # Output
//
// Reports are Go values with JSON tags, and render as Markdown and CSV
// (text cells are guarded against spreadsheet formula injection).
package outcomes
