// Package pathway models where people go after a coaching period (the
// onward path, "jatkopolku"), how those destinations are judged, when
// follow-up contacts are due after leaving, and the warm handovers
// ("saattaen vaihto") into and out of a coaching period.
//
// # Destinations
//
// [Kind] is a closed taxonomy: further studies (a full qualification or other
// studies), work (open labour market, wage-subsidised, apprenticeship,
// self-employed), job seeking, unemployed, outside the labour force (parental
// leave, military or non-military service, other), redirected to a
// better-suited field, another service, and unknown. A [Destination] records
// one destination with its date and an optional note; it carries JSON tags
// and `validate:` struct tags so an engine event can take it as its payload
// (see [RecordDestination]).
//
// A [Classifier] judges a destination positive, neutral or negative.
// [DefaultClassifier] follows the seeds: VALO counts studies and work as a
// positive onward path, and the first-year pilot counts a redirect to a
// better-suited field as a success. Hosts supply their own with
// [ClassifierMap] or [ClassifierFunc].
//
// # Follow-up checkpoints
//
// [NewSchedule] computes the follow-up checkpoints from a leaving date, on the
// Helsinki civil calendar: the ESF+ "upon leaving" window (the 28 days after
// leaving), six months after leaving, and optional later alumni contacts.
// [Evaluate] applies the ESF rule to status observations: for each checkpoint
// the last status observed inside its window counts, so someone who starts
// job searching on leaving and finds a job on day 20 counts as employed.
//
// # Warm handovers
//
// [InboundHandover] records a handover from basic education with the
// student's consent, the sending school, its contact person and the support
// needs that transfer; [OutboundHandover] records the handover to the next
// service at the end of the period.
//
// Everything here is a value type: the package stores nothing and sends
// nothing. Recording a destination on a closing event and sending due
// notices for checkpoints are the coaching engine's job.
package pathway
