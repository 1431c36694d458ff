// Package ehoks is a client of eHOKS's service API, the national service
// that holds every vocational student's HOKS (Opetushallitus/ehoks): it
// creates a plan (POST), reads it by eHOKS id or by KOSKI study right,
// replaces it (PUT) and changes its top-level values (PATCH), with the
// [hoks] package's [hoks.Plan] as the document; and [Sync] sends each plan
// version that comes into force on the engine to eHOKS through the outbox,
// and compares eHOKS's copy with ours.
//
// # Getting started
//
//	c, err := ehoks.New(ehoks.Options{
//		BaseURL:  "https://virkailija.opintopolku.fi",
//		Username: user, Password: password, // a CAS service account (PALVELU)
//		CallerID: "1.2.246.562.10.00000000001.valmennus",
//	})
//	id, err := c.Create(ctx, plan)
//
// The API lives under BaseURL+"/ehoks-virkailija-backend/api/v1/hoks".
// Every request carries a CAS service ticket in the ticket header and the
// caller-id header, as eHOKS requires (hoks/handler.clj).
//
// # Tickets
//
// The client logs in to CAS once (a ticket-granting ticket, kept for
// [Options.TGTLifetime], two hours by default) and gets a fresh service
// ticket for every request: eHOKS validates the ticket against CAS each
// time and CAS consumes it. When CAS has forgotten the TGT (404) the client
// logs in again. When eHOKS answers 401 the request is repeated once with a
// new TGT and ticket; a second 401 (the account has no privilege for the
// school), a 403 (not a service account) or CAS refusing the credentials is
// [ErrUnauthorized] wrapped in [coaching.Misconfigured], so that a
// dispatcher pauses the channel instead of burning the notice. The
// password, the TGT and the tickets never appear in an error.
//
// # Failures and retries
//
// A 5xx or 429 answer or a failed connection (to eHOKS or CAS) is retried
// up to [Options.MaxAttempts] times with exponential backoff and jitter,
// waiting at least what eHOKS's Retry-After asks (at most
// [Options.MaxBackoff]); ctx ends the waiting, also a wait for the CAS
// ticket-granting ticket another call is fetching. Any other 4xx is never
// retried. A 404 is [ErrNotFound]; a second HOKS for a study right is
// [ErrExists]; eHOKS's 400 validation answer is an [*APIError] whose
// Problems carry the paths of the [hoks] package's syntax
// ("hankittavat-ammat-tutkinnon-osat[0].osaamisen-hankkimistavat[1]") and
// what eHOKS found wrong: its Finnish constraint texts, such as "Lisää
// osa-aikaisuustieto, joka on välillä 1-100.", or the failed predicate
// without the value, (not (re-find #"^[0-9]{7}-[0-9]$" …)); it unwraps to
// a *[coaching.ValidationError]. eHOKS echoes the request in its 400 and
// the refused value in each problem; the client never keeps or shows
// either, and a message from eHOKS is at most 200 bytes and never holds an
// identity code.
//
// PUT and PATCH are safe to repeat. POST is not (eHOKS has no idempotency
// key): after an ambiguous failure, [Client.Create] reads the study right's
// HOKS and adopts it when it is the same plan, so a retry never makes a
// second one.
//
// # What eHOKS does to a plan
//
// eHOKS trims strings, writes instants in UTC with milliseconds, adds
// id, eid, manuaalisyotto and the parts' ids and module-ids, and lists the
// empty parts; a PUT gives every part new ids. Compare a plan with eHOKS's
// copy through [Normalize] and [hoks.Diff]. Plans entered in eHOKS's
// officials' interface may lack the workplace-period identifier
// (yksiloiva-tunniste) that the service API requires: give one before
// sending.
//
// # Sync on the engine
//
// [Sync] keeps eHOKS's copy of the cases' plans through the engine's
// outbox, so that a plan goes to eHOKS after the approval commits, once
// per version, whatever crashes between. Wire three things:
//
//	plans, err := hoks.NewServiceWith(eng, hoks.ServiceOptions{InForce: ehoks.PushNotices})
//	sync, err := ehoks.NewSync(ehoks.SyncOptions{Engine: eng, SystemKey: key, API: client})
//	d, err := coaching.NewDispatcher(store, ehoks.Route(map[string]coaching.Sender{
//		ehoks.NoticeKindPush: sync, // the rest go to e-mail
//	}, mail), opts)
//
// Every version that comes into force (approved, started, competence
// reached, completed) enqueues, in the transaction that stores it, a
// notice of kind [NoticeKindPush] with ID "ehoks_push:<case>:<version>",
// no recipient and the version in Data (the ID makes it once per
// version). [Sync.Send], under the engine's system actor (rule
// [SystemRule]), reads the case's plan in force and makes eHOKS hold it:
// the first push creates the HOKS, or, when eHOKS has one for the study
// right already (another system's, or a push whose answer a crash lost),
// adopts it and replaces it (PUT); later pushes replace the HOKS whose id
// the case records. Then it records the eHOKS id and the version on the
// case ([RecordPushed], an audited record). eHOKS has no idempotency key,
// so "exactly once" is one notice per version and a Send that may be
// repeated: a version eHOKS has, or an older one, sends nothing, and a
// crash between eHOKS's answer and the record repeats the same PUT.
// eHOKS's 4xx answers are [coaching.Permanent] (the notice dies and
// OnDead tells someone), its 5xx are retried by the dispatcher.
//
// A dispatcher claims every due notice whatever its kind, so one
// dispatcher's sender routes by kind ([Route]); the e-mail and eHOKS
// senders then share its backoff, attempts and pause: a refused eHOKS
// account ([ErrUnauthorized], [coaching.Misconfigured]) pauses e-mail too
// until it is fixed.
//
// [Sync.Pull] reads eHOKS's copy and returns how it differs from the
// version last pushed ([hoks.Diff] after [Normalize]: ours before,
// eHOKS's after). It never writes the plan — a difference is a person's
// to take into a new draft or to overwrite with a push — and audits only
// the number of differences.
//
// # Testing
//
// Package [github.com/valmennus/valmennus/adapters/ehoks/ehokstest] is an
// in-process fake of eHOKS and CAS with knobs for expiring tickets, failing
// requests and refusing access; [ehokstest.Server.ClientOptions] gives a
// client of it.
package ehoks
