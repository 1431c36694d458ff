// Package coaching is the process engine of valmennus: coaching processes in
// Finnish vocational education and employment workshops, run correctly and
// auditably inside a host application.
//
// # Models, cases, the engine
//
// A [Model] is a process definition: states (phases) with deadlines, events
// (transitions) with the roles allowed to fire them and the rules (guards)
// they must pass. Models are validated when built ([BuildModel]); the two
// built-in ones are [VALO] (six-month workshop coaching toward qualification
// units) and [Pilot] (first-year coaching with a multi-professional support
// team). Hosts adapt a built-in spec ([VALOSpec], [ModelSpec.AddRules]) or
// define their own.
//
// A [Case] is one [Participant]'s period in one model. The [Engine] changes
// cases only through [Engine.Fire]: it checks the actor's role, validates the
// payload, runs every rule (reporting every failure), transitions with
// looplab/fsm, and then, in one store transaction, saves the case with an
// optimistic version check, appends an audit entry and enqueues notices. An
// idempotency key makes a retried command return its first result.
// [Engine.Tick] turns passed phase deadlines into overdue records and
// notices, exactly once even with several processes ticking.
//
// Every state machine in the project — case models, referrals, the HOKS
// lifecycle — is a [Machine]: looplab machines built once and reused from
// a pool (building one costs far more than firing it). A context cancelled
// inside looplab's Event would leave the machine mid-transition for good,
// so looplab only ever sees an uncancellable context; the caller's context
// reaches the rules through the guard, and a machine that fails in any
// unexpected way is dropped from the pool rather than reused.
//
// # Transactions and extension points
//
// Every command runs in one store transaction, or in the host's on the
// engine [Engine.In] binds to it. There is no accessor for the raw store:
// packages built on the engine read and change cases through policy-scoped
// views and changes ([Engine.ReadCase], [Engine.ChangeCase],
// [Engine.ChangeParticipant], [Engine.Read], [Engine.Write],
// [Engine.Figures]; inside a write scope, [Scope.ChangeCase] records on a
// case with the feature's own writes; periodic work no actor asks for runs
// as the engine's own actor with the host's key, [Engine.System]), and
// keep their own data behind a small store interface of their own that
// the adapters' transactions implement (packages coaching/session and
// coaching/attendance are built this way). A feature that keeps its
// data in case documents registers their kinds ([DocumentKind],
// [Options.Documents]) with the operation that guards them, and the
// kernel then shows their audit entries and notices only as it shows the
// documents (package coaching/referral is built this way). A feature
// whose data must change with a transition or a timer returns its writes
// as [FeatureWrite]s (EffectWrites.Writes, TimerResult.Writes), run after
// the kernel's in the same transaction (package coaching/caseload creates
// a phase's planned tasks and raises alerts this way).
//
// # Who may do what
//
// Every call asks the [Policy] ([DefaultPolicy] unless the host gives its
// own) before it reads or writes, with facts the engine reads itself: the
// stored case, participant and team, never what the caller claims about
// them. An actor the engine can never allow — no id, an id that is not text,
// or a host-built actor claiming the reserved [RoleSystem] or its id — is
// refused before any policy is asked; the engine's own actor (ticks,
// retention, risk reviews) is a value only this package constructs
// ([Actor.IsEngine]). Every denial, whichever check made it, is one entry
// in the access log, written even when the call's own transaction rolls
// back; the log's text is sanitized ([AccessEntry.Sanitized]) so that no
// store refuses it. Welfare (opiskeluhuolto) information — welfare records
// such as a referral's reason, and the very existence of a guarded
// document such as a referral not shared for teaching — reaches only the
// roles the policy lets read it, also through the audit trail and the
// notices.
//
// # Time
//
// Time comes from an injected [Clock]. Anything that means a day (same-day
// notices, ages, deadlines in months) is a civil date in Europe/Helsinki
// ([Helsinki], [Date], [DateOf]); a day there is 23 or 25 hours long twice a
// year, so the engine never adds 24 hours to move a day.
//
// # Storage and delivery
//
// The engine persists through the small [Store] port; adapters/memory is the
// embedded default, adapters/storetest the conformance suite every store
// passes. A case row holds the current state, version and clocks: the
// phase history is the audit trail's and the case's records are appended
// beside the row ([Tx.AppendRecords]; reads ask for what they need with
// [ReadTx.Records]), so a change costs the same however long the case has
// run. Notices wait in the store's outbox until a [Dispatcher] delivers
// them through a [Sender], retrying with backoff; each notice's ID is its
// idempotency key downstream.
//
// # Errors
//
// Errors match sentinels with errors.Is ([ErrNotFound], [ErrConflict],
// [ErrForbidden], [ErrTransitionNotAllowed], [ErrRulesRejected],
// [ErrInvalid], [ErrDuplicate]) and carry details in typed errors
// ([TransitionError] lists the allowed events, [RulesRejectedError] every
// failing rule, [ValidationError] every field problem). Bad input never
// panics and never leaves anything half-saved.
//
// # Personal data
//
// A personal identity code ([IdentityCode]) is masked in every printed,
// logged and marshalled form. Participants and actors log only their ids.
// Notices carry no welfare or health information. An adult student's
// consent to their guardians being informed is recorded and withdrawn
// through package coaching/consent, audited on each of their cases; package
// coaching/erasure erases a participant on request and by a retention
// period, keeping what the figures count. Both are built on
// [Engine.ChangeParticipant]; a system action such as a retention run
// needs the host's [SystemKey] ([Engine.System]).
//
// # Testing
//
// Package coaching/coachingtest gives hosts a controllable clock, a recording
// sender, valid participants and assertions to unit-test their own rules.
package coaching
