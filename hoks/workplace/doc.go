// Package workplace follows a workplace learning period of a student's
// HOKS — a training agreement (koulutussopimus) or an apprenticeship
// (oppisopimus), the Yhdessä Parasta! way of learning at work — as a
// process: the agreement drafted, signed, the period running (and
// interrupted and resumed), ended; or cancelled. When the agreement is
// signed the workplace instructor joins the case's support team; notices
// go to the instructor and the staff member who signed before the period
// starts and before it ends; and when it ends the workplace-instructor
// feedback survey (työelämäpalaute, TEP) is queued in the outbox as eHOKS
// queues it — or, when eHOKS's rules exclude it, not, with the reason
// recorded.
//
// It is a feature built on the coaching kernel's extension points, like
// coaching/referral, and on the hoks package: a period is keyed by its
// yksiloiva-tunniste in the case's HOKS in force, which it reads (never
// writes); its commands run in policy-scoped transactions; a period is a
// reserved case document ("workplace_<hash of the id>") whose every
// version is saved with an audit entry, its notices and its timers in one
// transaction; the instructor joins the team through the kernel's team
// change, audited as any. The host registers:
//
//	handlers, err := workplace.TimerHandlers(nil)
//	eng, err := coaching.New(store, &coaching.Options{
//		Documents:     append(hoks.Documents(), workplace.Documents()...),
//		TimerHandlers: handlers, // the notices before the start and the end
//	})
//	periods, err := workplace.New(eng, nil)
//
// # Who may do what
//
// The school's staff on the case's team and the head of studies move a
// period (the policy's change_hoks rule, the same as writing the plan):
// the agreement is the education provider's, so a workplace instructor,
// a student or a guardian may not sign, start or end one — the
// instructor's confirmation is their signature on the agreement, which
// the staff record. Whoever may read the HOKS (read_hoks, the workplace
// instructor on the team among them) reads a period ([Service.Get]).
// Another organisation's case is a *coaching.ForbiddenError whose
// NotFound is set: answer it as not found. To sign, the actor must also
// be allowed to change the team (the model's opener roles).
//
// # Dates and notices
//
// Each command checks its day against the period's dates in the HOKS in
// force, read again by every command (an approved update may move them
// after the agreement is signed): signed not after the period's first day
// nor today; started, interrupted, resumed and ended within the period's
// dates and not after today. The starting notice is due at 09:00 seven
// days before the first day, the ending notice seven days before the last
// ([Options] changes both); each is sent only if the period is still in
// the state it is about, and names the date of the plan in force when it
// fires: a timer that fires early for a date the plan moved later sets
// itself again for the new date, and a command that finds the last day
// moved sets the ending timer again. Notice ids are stable ("<timer
// key>:<date>:<actor id>", "tep:<case>:<key>"), so the outbox sends each
// once.
//
// # Interruptions
//
// An interruption is recorded here with its days and no reason (why a
// student was away may be health information). The HOKS is not written:
// [Period.PlanProposals] lists the interruptions the plan does not carry
// yet, for the staff to add to its keskeytymisajanjaksot in the next
// version the plan's own process approves (hoks.Service).
//
// # The TEP survey
//
// [DecideTEP] follows eHOKS (palaute/tyoelama.clj): heratepvm is the
// period's last day; no survey without the instructor, the workplace's
// name or Y-tunnus in the plan, without an osa-aikaisuustieto of 1–100
// for a period ending after 30.6.2023, when an interruption covers the
// last day, or when the period is no longer in the plan in force. The
// answer window opens on the first of the next month and closes 29 days
// later, at most 59 days after heratepvm ([AnswerWindow]). The notice
// ([NoticeKindTEP]) carries the survey's identity (hoks_id,
// yksiloiva_tunniste) and kyselytyyppi tyopaikkajakson_suorittaneet for
// the host's sender to the national feedback service. An end recorded
// after the answer window closed gets no survey, with that reason. The
// checks on the study right and the financing period need KOSKI and are
// the host's.
//
// heratepvm here is the last day recorded by [Service.End], not the
// plan's loppu that eHOKS reads: the recorded day is what happened, and
// End refuses a day after the plan's loppu, so the two differ only when a
// period ends early. Then eHOKS would date its survey from the plan's day
// until the HOKS is updated: [Period.PlanEndProposal] and the end's audit
// entry say so, for the staff to carry the end into the plan's next
// version.
//
// # Cost
//
// A command reads the period's one document and (all but Cancel) the plan
// in force (the latest versions back to the first in force: one or two);
// a timer reads the same. None reads the case's history, so no write
// costs more as a case ages.
package workplace
