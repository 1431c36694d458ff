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
// passes. Notices wait in the store's outbox until a [Dispatcher] delivers
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
// Notices carry no welfare or health information.
//
// # Testing
//
// Package coaching/coachingtest gives hosts a controllable clock, a recording
// sender, valid participants and assertions to unit-test their own rules.
package coaching
