// Package hoks models the HOKS — henkilökohtainen osaamisen
// kehittämissuunnitelma, the personal competence development plan every
// Finnish vocational student has by law (Act 531/2017 §44–45) — as the
// national service eHOKS holds it: the Go types, eHOKS's validation rules,
// and a lossless codec for the eHOKS JSON wire format.
//
// # Model
//
// A [Plan] names the learner (oppija, by OPH person OID), the KOSKI study
// right (opiskeluoikeus) it belongs to, the first approval date
// (ensikertainen hyväksyminen, which starts the national start-of-studies
// survey), the competence-reached date (osaamisen saavuttamisen päivämäärä,
// which starts the end survey) and lists:
//
//   - units to acquire (hankittavat tutkinnon osat): vocational
//     ([VocationalUnit], ammatilliset), common ([CommonUnit], yhteiset
//     tutkinnon osat, YTO, with sub-areas — osa-alueet) and local
//     ([LocalUnit], paikalliset);
//   - previously acquired units (aiemmin hankitut), with how the prior
//     competence was verified (todentamisen prosessi);
//   - for each unit or sub-area, the methods of acquiring competence
//     ([AcquisitionMethod], osaamisen hankkimistavat): school-based
//     (oppilaitosmuotoinen), training agreement (koulutussopimus) or
//     apprenticeship (oppisopimus), with the workplace (työpaikka), its
//     responsible instructor (vastuullinen työpaikkaohjaaja), other learning
//     environments, part-time percentage (osa-aikaisuus) and interruptions
//     (keskeytymisajanjaksot); the last two types are workplace periods
//     (työpaikkajaksot);
//   - competence demonstrations ([Demonstration], näytöt / osaamisen
//     osoittaminen) with environment, content, dates, provider and
//     working-life assessors (arvioijat) and individual criteria;
//   - supporting studies (opiskeluvalmiuksia tukevat opinnot) and learning
//     support (oppimisen tuki);
//   - on a TUVA plan (tutkintokoulutukseen valmentava koulutus, preparatory
//     training) only TUVA training parts ([TUVAPart], koulutuksen osat).
//
// Competence points (osaamispisteet) appear where eHOKS has them: the
// extent (laajuus) of local units; TUVA parts are measured in weeks.
// English names are used in Go; the Finnish eHOKS names are in the json
// tags and the field comments.
//
// # JSON
//
// [Decode] and [Encode] read and write the eHOKS format: kebab-case Finnish
// keys, YYYY-MM-DD dates ([coaching.Date]) and instants ([Instant], which
// keep their original text). Decoding then encoding gives the same JSON up
// to key order and whitespace: scalars are pointers so that "absent",
// "false", "0" and "" stay distinct, and an empty list stays "[]". Unknown
// members are an error naming their path unless [DecodeOptions.KeepUnknown]
// keeps them in the Extra field of their object; JSON null, wrong types,
// impossible dates (2025-02-30) and documents over [MaxDocumentSize] (2 MiB)
// are errors too, listed with their paths in a [*DecodeError]. Decoding
// never panics. [DecodeAll] and [EncodeAll] handle a JSON array of plans.
//
// # Validation
//
// [Validate] checks a plan as eHOKS checks a create or replace body
// (reference hoks.md §3) and reports every problem at once, each with its
// JSON path such as
// "hankittavat-ammat-tutkinnon-osat[0].osaamisen-hankkimistavat[1].loppu", in
// one [*coaching.ValidationError]: required members, OPH OIDs
// ([ValidLearnerOID], [ValidStudyRightOID], [ValidOrganisationOID]), code
// URIs, Finnish business IDs ([ValidBusinessID], Y-tunnus), the
// workplace-period rules (end not before start, at most five years; business
// ID for periods ending after 2021-08-25; the apprenticeship basis from
// 2021-07-01; part-time percentage 1–100 after 2023-06-30; interruptions
// that, sorted by start, do not overlap; a non-blank period identifier,
// yksilöivä tunniste), TUVA-only and non-TUVA parts, and the learning-support
// type rule. Each rule follows eHOKS's own code, which its comment names.
//
// A plan eHOKS accepts never fails Validate. The checks that are stricter
// than eHOKS are advisories: [Check] returns a [Report] with the problems
// and, beside them under the same JSON paths, the advisories — a
// demonstration, other learning environment, interruption, supporting study,
// TUVA part or remedial teaching that ends before it starts; a period
// identifier used twice; a competence-reached date before the first
// approval; a part-time percentage out of range where eHOKS does not check
// it; learning support on a TUVA plan; a code URI or OID with a final line
// break. [Advisories] returns them alone. They never block decoding, saving
// or approving: the [Service] returns them on every version it stores
// ([Version.Advisories]) and, when a plan is refused, in the [*PlanError]
// beside the problems. Struct-level checks use go-playground/validator with
// the package's custom validators registered once.
//
// # Lifecycle and versions
//
// A [Service] keeps a case's HOKS through the coaching engine: draft →
// approved (the first approval sets ensikertainen-hyvaksyminen) → in
// progress → updated and re-approved any number of times → competence
// reached → completed, and archived ([LifecycleDiagram]; the transitions run
// on looplab/fsm). Every change stores a new immutable version as a case
// document, in one transaction with an audit entry; a change based on a
// version that is no longer the latest is a conflict (eHOKS has no locking;
// this has). While an update awaits re-approval, the last approved version
// stays in force ([Service.InForce]). Drafting and changing the plan is
// the policy's change_hoks (the default: the school's staff on the team,
// not a peer coach or a workplace instructor), approving it and moving it
// through its lifecycle approve_hoks (the teaching and guidance staff on
// the team or the head of studies). The first approval enqueues the AMIS
// start survey (aloituskysely) and the competence-reached date the end
// survey (päättökysely) in the engine's outbox, with eHOKS's exclusion rules
// ([SurveyDecision]). [Diff] says what changed between two versions in terms
// a personal tutor understands.
//
// # Coaching rules
//
// [AttachRules] makes a model's skill-acquisition event need an approved
// HOKS with a unit to acquire, and its demonstration event a demonstration
// planned in it. [Service.RecordResult] stores a demonstration result (a
// KOSKI grade 1–5 or pass/fail) and [Service.Progress] adds up the acquired
// units and their competence points.
package hoks
