// Package webui is the web interface of the valmennus engine for the
// people in the process: a server-rendered [http.Handler] a host mounts
// under any prefix beside its own routes (and beside adapters/httpapi's
// JSON API), built with html/template and one embedded style sheet, with
// no JavaScript.
//
// # Getting started
//
//	ui, err := webui.New(eng, &webui.Options{
//		Prefix:     "/ui",
//		SessionKey: key,   // ≥ 32 secret bytes, the same on every instance
//		Login:      login, // how people sign in; webui.NewDevLogin for development
//	})
//	mux.Handle("/ui/", ui) // no http.StripPrefix: the handler knows its prefix
//
// # Pages
//
// GET {prefix}/ is the signed-in person's caseload (coaching/caseload's
// Service.Mine: urgency order, its flags and alerts, filters as a plain GET
// form); GET {prefix}/cases/{case} a case page: the participant's name as
// the policy allows it; the model's phases as an ordered list, each with
// the date the case last entered it, the current one marked
// (aria-current="step") with its deadline and an overdue badge, a hold
// state listed while the case is in it; the events the person may fire
// now; the open alerts (a manual one by its title, the others by their
// cause); the planned items to come and those held or cancelled in the
// last 60 days (coaching/caseload's Service.CaseItems); the coaching
// sessions, newest ten with the count of older ones ([Options].Sessions);
// the contact log; the attendance of the last four weeks by day
// (present, late, unexplained, explained — an illness counted as
// explained), each lesson linking to its revisions; the HOKS summary and
// versions with a compare form ([Options].HOKS); and the team. Each
// section is shown only when the policy allows its read — asked first, so
// a section left out writes no denial to the access log —, never a 403 of
// the whole page; a store failure is still the error page. Welfare
// information (a welfare worker's session, planned item or alert) is shown
// only to those the features show it to. GET
// {prefix}/cases/{case}/hoks/diff?from=N&to=M says in words what changed in
// the plan from version N to M (hoks.Diff): each change's kind, where in the
// plan (its members named in the page's language, the item by its name or
// code), the values before and after; without from and to it compares the
// version in force with the approved one before it (or with an update
// awaiting approval). A from or to that is not a version number is the 400
// page, a version the case lacks the 404 page.
//
// From the case page staff do the guidance work itself, each a form on a
// page of its own linked from its section, offered only to those the
// policy lets do it (asked first, as the sections are): GET|POST
// {prefix}/cases/{case}/sessions/new records a coaching session held
// with the student (coaching/session's Service.Record: individual or
// group coaching, or outreach for welfare staff; the date; the hours as a
// decimal, "1,5" or "1.5"; the signed-in person present, in their role
// on the team, and any other staff of the team ticked; the
// coaching-approach elements and peer support; a topic, where welfare
// notes never go), {prefix}/cases/{case}/planned/new plans an item owned
// by the signed-in person, who must be on the case's team (caseload's
// Service.Plan: its kind, title, date and optional time), and
// {prefix}/cases/{case}/contacts/new logs a contact (Service.LogContact:
// its kind, date, whether a guardian took part and a one-line note,
// which the student and the guardians never read). A saved form answers
// 303 to the case page with a confirmation; a refused one is the form
// again (422) with each problem beside its control and in a summary. The
// forms are staff's: a family's session gets the 403 page, as does staff
// the policy does not let do the work; another organisation's case is
// the 404 page. Each form carries a hidden per-form key, so that the
// form sent twice (a double click, a resent form, a retry) saves once —
// session hours feed the funder's figures — and answers as the first
// did: a session is recorded with session.Service.RecordKeyed; a planned item's and a
// contact's id is derived from the person and the key. The same form
// sent again with other values is the form again (422) saying so, with a
// new key.
//
// Everything is read through the engine under its access policy: another
// organisation's case is answered exactly as a case that does not exist
// (the 404 page), any other denial with the 403 page.
//
// The start page's filter form also chooses the scope: the person's teams'
// cases (Mine) or, for a head of studies (by default theirs), the
// organisation's (Service.List, which lists only the cases the policy
// lets them read, so a head on no team still sees every case); above the
// list, the count of the scope's open cases past their phase deadline
// links to them (overdue=1). GET {prefix}/alerts is the staff member's
// alerts (Service.MyAlerts; a head of studies may switch to the
// organisation's, Service.Alerts), each with its student's case, cause,
// title, due date, status and owner — welfare alerts only for those the
// policy lets read the case's welfare information, as the service
// decides — and the actions as plain form POSTs carrying the alert's
// version to {prefix}/alerts/{alert}/{action}: acknowledge, resolve (what
// was done), dismiss (a reason required) and reassign to another member
// of the case's team. GET {prefix}/week?date=YYYY-MM-DD is the person's
// week plan (Service.Agenda, Monday to Sunday of the week holding the
// date, by default today in Helsinki), each day a section of its planned
// items with their time, kind, title and students, and the actions as
// form POSTs to {prefix}/week/items/{item}/{action}: held (a coaching
// session with its hours, recorded as a session; a contact on each case),
// move (to a date from today on) and cancel (a reason required). A form
// refused is the page again (422) with each problem beside its control and
// the item's actions open; an alert or an item changed meanwhile is the
// fresh page (409) saying so; one the actor may not change is the 403 page,
// and another organisation's the 404 page. The work pages are staff's: a
// family's session gets the 403 page.
//
// GET {prefix}/cases/{case}/events/{event} is an event's form, generated
// from the event's payload type (EventSpec.Payload): a select for a string
// with a `validate:"oneof=…"` tag, a date input for a [coaching.Date], a
// number, a checkbox for a bool, a text input for a string with max=200
// or less and a textarea for a longer one, a textarea of one item a line
// for a []string, JSON for any other type; `required` is marked, and the
// reason field is required when the model asks for one. Field labels are
// the catalogue's "field.<json name>" (a host's own payload falls back to
// the JSON name). POST to the same path fires the event with the case
// version the form was shown with and answers 303 to the case page; a
// payload refused is the form again (422) with each problem beside its
// control and in a summary at the top, a rules rejection (422) lists the
// failing rules, and a case changed meanwhile is the fresh form (409) with
// the values kept.
//
// GET {prefix}/attendance?group=…&date=…&lesson=…&minutes=… is a
// teacher's attendance grid for one lesson (coaching/attendance;
// [Options].Attendance): the open cases of the person's own organisation
// in that SIS group (the caseload's Group) on which the policy allows
// record_attendance, by name, each row a fieldset of native radio buttons
// (one per status) with the student's name as its legend and a reason
// select for an explained absence, so the whole grid is operable by
// keyboard. The current mark is shown where the policy also allows
// read_attendance. POST to the same path records every row whose choice
// differs from the one the form was shown with in one
// attendance.Service.Record call — a changed mark is a correction, a new
// revision — and shows what changed and how many guardians' digests and
// correction notices were queued; an unknown status, an explained absence
// without a reason or a date that is not one is the grid again (422) with
// the problem beside its control; a GET whose lesson does not hold is the
// form with the problem beside its control (400: a bad query is a bad
// request, 422 is for a refused form). GET {prefix}/attendance/history?case=…
// &date=…&lesson=… lists a mark's revisions to the staff: who — by the
// case's team's name and role, or as another staff member, never an
// actor id —, when, from what to what; a guardian or a student gets the
// 403 page (it shows sickness, which the family page does not).
//
// # The family page
//
// A guardian or a student (an actor with the guardian or student role and
// no staff role) lands on GET {prefix}/ showing, instead of a caseload,
// the open cases of the participants their sign-on relations name
// (guardian_of, self) and, for a student, the participant whose sign-on id
// is their own: for each, the notices addressed to them (those about a
// welfare record never), the absences of the last 31 days by day —
// unexplained and explained lessons, an illness counted as explained, so
// that no health detail is shown —, the family's requests by kind, days
// and status (the reason and the family's words stay with the deciders),
// and the HOKS summary when there is one. GET {prefix}/family/{case} is one
// case's page with the form to explain an absence, report one to come or
// apply for leave ([Options].Absence); its POST to
// {prefix}/family/{case}/absences submits the request as the signed-in
// actor (303 back to the page), or shows the form again (422) with each
// problem beside its control. The form carries a hidden per-form key
// (absence.Input.Key): the same form sent twice — a double click, the
// browser resending it, a retry after a timeout — records one request and
// answers as the first did; the form resent with its key but edited is
// shown again with a fresh key, saying it was sent already. Every read asks the policy as the actor: the
// page of another family's student is the 403 page, another
// organisation's case the 404 page.
//
// The listing on / starts only from what the sign-on vouches for in the
// session: a guardian recorded on a participant's record but not named in
// a guardian_of relation is not listed there (the policy still lets them
// open the case's page, which the notices link to). A host lists a
// guardian's children by asserting the relations its sign-on knows.
//
// A guardian reads no participant record, and a relation names the
// participant by id only, so a guardian's case is headed "Your child's
// studies: <programme>" (with the day the case was opened when two share
// a programme), never with a name from elsewhere; a student sees their
// own name.
//
// The student's page also lists their comments on and proposals to their
// plan (hoks.Service's Comments and Proposals: each proposal's status,
// the concrete change, the decision's reason and what it changed; never
// the staff's note) with the forms to comment — on the plan or on one
// proposal — (POST {prefix}/family/{case}/comments), to propose a change
// (POST {prefix}/family/{case}/proposals: a title, a description, and
// optionally a new career-plan goal, the one concrete change a select
// offers simply; moving a period is proposed in words), and to withdraw
// an open proposal with the version the page showed (POST
// {prefix}/family/{case}/proposals/{n}/withdraw). The comment and proposal
// forms carry per-form keys (hoks.CommentInput.Key, ProposalInput.Key),
// as the absence form does. Each answers 303 back to
// the page with a confirmation, the page again with the problems beside
// the controls (422), or the page with the proposal as it is now (409)
// when it changed or was decided meanwhile, or the plan can no longer
// change. A guardian reads no proposals (the policy's read_hoks is not
// theirs; the summary shows the open ones' titles) and writes none: the
// plan's proposals are the student's own voice (hoks.RuleStudentVoice),
// so their POSTs are the 403 page.
//
// # The proposals page
//
// GET {prefix}/cases/{case}/proposals lists a student's proposals (newest
// first) with their comments and the comments on the plan, for those who
// read them (the school's staff on the support team and the head of
// studies; never a workplace instructor or a peer coach on the team).
// Those who decide (hoks.Service.MayDecide: the personal tutor or study
// counsellor on the team, the head of studies; never on their own plan)
// get, for each open proposal, a form to accept it — with the tutor's
// career-plan goal when it was made in words, approving the new version
// at once if asked, an internal note — (POST
// {prefix}/cases/{case}/proposals/{n}/accept) and one to decline it with
// a reason the student reads (POST …/{n}/decline), both with the
// proposal's version: 303 back with a confirmation, 422 with the problems
// beside the controls (a change that no longer fits the plan is said at
// the top), 409 with the fresh page when another decider was first.
//
// GET {prefix}/figures (the head of studies, a funder: the policy's
// read_figures) is the VALO outcome table and the ESF indicators for a
// period, with server-side SVG charts (role="img" with a title and a
// description; presentation attributes only, the CSP allows no style
// attribute) of the onward paths, of retention against the same period of
// the two years before, and of each staff member's session hours against
// the 40–100 h allocation (never to a funder), each chart's numbers also as
// a table. GET {prefix}/figures.csv is the table as CSV (UTF-8 with a BOM;
// ";" and a decimal comma in Finnish and Swedish, "," and a point in
// English; a cell a spreadsheet would read as a formula gets a leading
// apostrophe).
//
// # Sign-in and sessions
//
// People sign in through a [Login] (a begin and a finish): [OIDCLogin],
// an OpenID Connect authorization-code flow with PKCE, or the development
// sign-in [DevLogin], which is unsafe and for development only. A session is a cookie named [CookieName] holding the person's id,
// name, organisation, roles, relations, language and expiry, signed with
// HMAC-SHA256 under [Options].SessionKey: HttpOnly, Secure, SameSite=Lax,
// [DefaultSessionTTL] (8h) by default. An altered or expired cookie is
// deleted and the person sent to sign in again (303) with the page as a
// return path — for a form's POST, the page the form is on, as for the
// language switch —; a return path is only ever a page of the interface
// itself.
//
// # Security
//
// Every answer carries a strict Content-Security-Policy
// ([ContentSecurityPolicy]: no inline script or style), nosniff and
// Referrer-Policy: same-origin; every page Cache-Control: no-store. Every
// state-changing request (sign-in, sign-out, the language switch) is a
// form POST that passes [http.CrossOriginProtection] (Sec-Fetch-Site, or
// Origin against Host) or gets the localized 403 page; a GET never changes
// state. The log gets one line per request with the route pattern and the
// status, never a path, an id or a name; a failed request (500) also logs
// the error, which may hold ids (a case's, an actor's, never an identity
// code: a sign-in whose id or name holds one is refused).
//
// # Languages and accessibility
//
// Every text is in one catalogue (texts.go) in Finnish, Swedish and
// English; the language is the session's, chosen at sign-in or with the
// switch in the header (default Finnish). Pages have a lang attribute, one
// h1, a skip link, a label on every control, table headers with scope and
// visible focus styles.
package webui
