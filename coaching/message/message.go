// Package message lets families and staff write to each other about a
// case: a guardian or a student replies to a notice they received, and the
// reply reaches the case's responsible staff as a notice of its own,
// threaded to the original; staff write to the student, to the student's
// guardians, or to both. Each message is sent as a notice to each
// recipient, in the recipient's language, and kept as one version of its
// thread's case document.
//
// It is a feature built on the coaching kernel's extension points: its
// commands run in policy-scoped transactions ([coaching.Engine.Write],
// [coaching.Engine.Read]); the policy's send_message rule decides who may
// write on a case and read_requests who may read its threads; a thread is
// the case document "message_<thread>", a family the host registers:
//
//	eng, err := coaching.New(store, &coaching.Options{
//		Models:    models,
//		Documents: append(referral.Documents(), message.Documents()...),
//	})
//
// # Who receives what
//
//   - A reply to a message is sent to whoever wrote that message: a
//     family member's reply to a staff member's message reaches that staff
//     member while they are on the case's team; staff's reply to a family
//     member's message reaches that family member.
//   - A family member's reply to a notice of a decision that names its
//     decider ([DataDecidedBy]) reaches that staff member while they are
//     on the case's team.
//   - A family member's reply to any other notice (an absence notice, a
//     phase change), or to a message or decision whose writer or decider
//     is not on the team (a head of studies usually is not), reaches the
//     case's responsible staff: every personal tutor on the team, or —
//     when the team has none — every coach.
//   - Staff's message ([Service.Send]) reaches the student, each of the
//     student's guardians who can be reached, or both. Guardians are
//     written to only while they may be informed: while the student is
//     under 18, afterwards only with the adult student's consent in force
//     ([coaching.Participant.GuardiansInformedOn]).
//
// # What a message never carries
//
// Messages never carry student-welfare information: a reply to a notice
// that concerns a welfare record or a welfare document family (a referral
// and its follow-ups) is refused (rule [RuleWelfare]), so that nothing of
// it is quoted or threaded onward. The text of a message goes to its
// recipients and into its thread; never into the audit trail, whose
// entries name the thread and the kind of message only, nor into logs.
//
// # Writes
//
// A message is one new version of its thread's document: writing one
// costs the same however long the thread or the case's history is. Two
// messages written at once on one case conflict on the case's version;
// the loser is written again in a fresh transaction after a short random
// pause ([coaching.WriteRetrying]). On an engine bound to a host's
// transaction ([coaching.Engine.In]) the conflict is returned instead:
// the host retries its own transaction.
//
// # Who reads what
//
// Staff read every message of a thread. A guardian or the student reads
// only the messages they wrote or were written to ([Service.Thread]): a
// staff message to the whole family is read by each of them, one
// guardian's reply and staff's answer to it by that guardian alone. A
// thread's document is read only through [Service.Thread]: the generic
// case read refuses it ([coaching.DocumentKind.Private]), and thread ids
// are generated, never derived from anything a reader could know.
// Student-welfare staff do not write through messages
// ([RuleWelfareStaff]).
package message

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/valmennus/valmennus/coaching"
)

// prefix begins the document kind of a thread: "message_<thread>".
const prefix = "message_"

func kind(thread string) string { return prefix + thread }

// Notice kinds of messages (their texts are in coaching.DefaultTexts).
const (
	// NoticeKindMessage is staff's message to the student or the
	// guardians (fields case, from, subject, text).
	NoticeKindMessage = "message"
	// NoticeKindReply is a reply to a notice or to a message (fields
	// case, from, subject, text).
	NoticeKindReply = "message_reply"
)

// The keys of a message notice's Data.
const (
	// DataThread is the thread the message belongs to: pass it to
	// [Service.Thread].
	DataThread = "thread"
	// DataSeq is the message's place in its thread, from 1.
	DataSeq = "seq"
	// DataFrom is the writer's id (an actor, a guardian or the student's
	// participant id).
	DataFrom = "from"
	// DataFromKind is the writer's [PartyKind].
	DataFromKind = "from_kind"
	// DataReplyTo is the id of the notice the message replies to.
	DataReplyTo = "reply_to"
	// DataDecidedBy, on another feature's notice of a decision (a contact
	// change's, package coaching/contactchange; any feature may set it),
	// is the actor id of the staff member who decided: a family member's
	// reply to that notice reaches them while they are on the case's team.
	DataDecidedBy = "decided_by"
)

// Rules of this package, as named in a *coaching.ForbiddenError and the
// access log; the policy's own rules (send_message, read_requests) are
// asked first.
const (
	// RuleWelfare: a notice that concerns student-welfare information is
	// not replied to through messages.
	RuleWelfare = "message_welfare"
	// RuleStaffOnly: only staff start a message; families reply.
	RuleStaffOnly = "message_staff_only"
	// RuleThreadParty: a family member reads only the messages they wrote
	// or were written to, and no thread without one.
	RuleThreadParty = "message_thread_party"
	// RuleWelfareStaff: student-welfare staff (curator, psychologist,
	// nurse) do not write to families through messages, which every
	// staff member on the team reads: they contact the family directly.
	RuleWelfareStaff = "message_welfare_staff"
)

// PartyKind is what a writer or a recipient of a message is to the case.
type PartyKind string

// Party kinds.
const (
	Staff    PartyKind = "staff"
	Guardian PartyKind = "guardian"
	Student  PartyKind = "student"
)

// Party is a writer or a recipient of a message.
type Party struct {
	// ID is a staff member's or guardian's actor id, or for the student
	// the participant id when they are written to (a student's notices
	// are addressed to their participant id) and their actor id when
	// they write.
	ID   string        `json:"id"`
	Name string        `json:"name"`
	Kind PartyKind     `json:"kind"`
	Role coaching.Role `json:"role,omitempty"`
}

// Message is one message of a thread.
type Message struct {
	Thread string          `json:"thread"`
	Seq    int64           `json:"seq"`
	CaseID coaching.CaseID `json:"case_id"`
	From   Party           `json:"from"`
	// To are the recipients, each sent a notice.
	To      []Party `json:"to"`
	Subject string  `json:"subject"`
	Text    string  `json:"text"`
	// ReplyTo is the id of the notice the message replies to; empty for a
	// message that starts a thread.
	ReplyTo string    `json:"reply_to,omitempty"`
	At      time.Time `json:"at"`
}

// Audience is who staff's message goes to.
type Audience string

// Audiences.
const (
	ToStudent   Audience = "student"
	ToGuardians Audience = "guardians"
	// ToFamily writes to the student and the guardians alike — to the
	// student alone when the student is an adult who has not consented to
	// their guardians being informed.
	ToFamily Audience = "family"
)

// SendParams are staff's new message.
type SendParams struct {
	To      Audience
	Subject string // one line, at most 200 bytes
	Text    string // at most 8000 bytes
}

// The bounds of a message.
const (
	MaxSubjectBytes = 200
	MaxTextBytes    = 8000
)

// Documents returns the document family of message threads, for
// coaching.Options.Documents: a thread ("message_<thread>") is kept by
// this package alone (Reserved), and whether an actor may know that it
// exists — its audit entries and notices included — is the policy's
// read_requests rule, asked with whoever started it.
func Documents() []coaching.DocumentKind {
	return []coaching.DocumentKind{{
		Prefix: prefix, Guard: coaching.OpReadRequests, Reserved: true, Private: true,
		Notices: []string{NoticeKindMessage, NoticeKindReply}, Events: []string{"message_"},
		Facts: func(ctx context.Context, tx coaching.ReadTx, c coaching.Case, k string) (coaching.DocumentFacts, error) {
			doc, err := tx.Document(ctx, c.ID, k, 1)
			if errors.Is(err, coaching.ErrNotFound) {
				return coaching.DocumentFacts{}, &coaching.NotFoundError{Kind: "message thread", ID: strings.TrimPrefix(k, prefix)}
			}
			if err != nil {
				return coaching.DocumentFacts{}, err
			}
			var m Message
			if err := json.Unmarshal(doc.Data, &m); err != nil {
				return coaching.DocumentFacts{}, fmt.Errorf("message: stored message %s does not decode: %w", k, err)
			}
			return coaching.DocumentFacts{By: m.From.ID}, nil
		},
	}}
}

// ReplyParams are a reply: the notice it answers and its text.
type ReplyParams struct {
	// NoticeID is the notice replied to, one addressed to the actor.
	NoticeID string
	// Text is the reply (at most MaxTextBytes).
	Text string
}

// Options configure [New]; nil means the defaults. It has no fields yet:
// every public constructor takes its options struct, so that options can
// be added later without changing New's signature.
type Options struct{}

// Service sends and reads messages over an engine.
type Service struct {
	eng   *coaching.Engine
	texts *coaching.Texts
}

// New returns the messages of eng. The engine must have been given
// [Documents]; without them every call fails before anything is written
// or shown. Notices are worded by the engine's texts
// (coaching.Options.Texts).
func New(eng *coaching.Engine, opts *Options) (*Service, error) {
	if eng == nil {
		return nil, errors.New("message: New: engine is nil")
	}
	return &Service{eng: eng, texts: eng.Texts()}, nil
}

// Send writes staff's message to the case's student, guardians or both,
// starting a thread. The policy's send_message rule decides who may write
// on the case (the default: the school's staff on the team and the head
// of studies, and families, who reply instead: a family member — a
// guardian of the student or the student, whatever other roles they hold
// — is refused with [RuleStaffOnly]). Student-welfare staff are refused
// with [RuleWelfareStaff]. Bad input is a *coaching.ValidationError
// naming every bad field, among them "to" when no one of the audience may
// be written to (guardians of an adult student who has not consented,
// guardians or a student without contact details; [ToFamily] for an
// adult who has not consented is written to the student alone).
func (s *Service) Send(ctx context.Context, actor coaching.Actor, id coaching.CaseID, in SendParams) (Message, error) {
	var pr []coaching.FieldProblem
	if !slices.Contains([]Audience{ToStudent, ToGuardians, ToFamily}, in.To) {
		pr = append(pr, coaching.FieldProblem{Field: "to", Message: fmt.Sprintf("must be %s, %s or %s", ToStudent, ToGuardians, ToFamily)})
	}
	if strings.TrimSpace(in.Subject) == "" {
		pr = append(pr, coaching.FieldProblem{Field: "subject", Message: "required"})
	}
	pr = append(pr, coaching.TextProblems("subject", in.Subject, MaxSubjectBytes, false)...)
	pr = append(pr, textProblems(in.Text)...)
	if len(pr) > 0 {
		return Message{}, &coaching.ValidationError{Subject: "message", Problems: pr}
	}
	return s.write(ctx, actor, id, func(sc *coaching.Scope, c coaching.Case, p coaching.Participant) (Message, error) {
		from := sender(actor, c, p)
		if from.Kind != Staff {
			return Message{}, sc.DenyCase(coaching.OpSendMessage, c, RuleStaffOnly, "only staff start a message; a guardian or a student replies to a notice")
		}
		if err := denyWelfare(sc, c, from); err != nil {
			return Message{}, err
		}
		var to []recipient
		var problems []string
		today := coaching.DateOf(sc.Now())
		if in.To == ToStudent || in.To == ToFamily {
			if p.Contact.Reachable() {
				to = append(to, studentRecipient(p))
			} else {
				problems = append(problems, "the student has no contact details")
			}
		}
		// The family of an adult who has not consented to their guardians
		// being informed is the student alone: ToFamily writes to them.
		if in.To == ToGuardians || in.To == ToFamily && p.GuardiansInformedOn(today) {
			gs, problem := guardianRecipients(p, today)
			if problem != "" {
				problems = append(problems, problem)
			}
			to = append(to, gs...)
		}
		if len(problems) > 0 {
			return Message{}, &coaching.ValidationError{Subject: "message", Problems: []coaching.FieldProblem{{Field: "to", Message: strings.Join(problems, "; ")}}}
		}
		thread := coaching.DocumentID(sc.NewID())
		if thread == "" {
			return Message{}, errors.New("message: the id generator gave no usable thread id (letters and digits)")
		}
		m := Message{Thread: thread, CaseID: id, From: from, Subject: in.Subject, Text: in.Text}
		return s.save(sc, c, m, to, NoticeKindMessage, "message_sent", "message to "+string(in.To))
	})
}

// Reply writes a reply to notice in.NoticeID of case id, which must be
// addressed to the actor (a notice about the case they received: for the
// student, one addressed to them or to their participant id). Who
// receives the reply is the package's rule (see the package
// documentation). The policy's send_message rule decides who may write
// on the case (the default: the school's staff on the team and the head
// of studies, the student, and a guardian of a minor or with the adult's
// consent); an actor who is the student's guardian, or the student,
// replies as such even when they are also on the team. A notice that
// concerns student-welfare information is not replied to ([RuleWelfare]),
// nor does student-welfare staff write ([RuleWelfareStaff]); a notice
// that is not the actor's, or not the case's, is a
// *coaching.NotFoundError. An empty or overlong text is a
// *coaching.ValidationError naming "text".
//
// A reply to a message joins the message's thread and keeps its subject;
// a reply to any other notice starts a thread of its own, under the
// notice's subject.
func (s *Service) Reply(ctx context.Context, actor coaching.Actor, id coaching.CaseID, in ReplyParams) (Message, error) {
	noticeID, text := in.NoticeID, in.Text
	if pr := textProblems(text); len(pr) > 0 {
		return Message{}, &coaching.ValidationError{Subject: "reply", Problems: pr}
	}
	return s.write(ctx, actor, id, func(sc *coaching.Scope, c coaching.Case, p coaching.Participant) (Message, error) {
		n, err := sc.ReadTx().Notice(sc.Context(), noticeID)
		if err != nil || n.CaseID != id || !addressedTo(actor, n, p) {
			if err != nil && !errors.Is(err, coaching.ErrNotFound) {
				return Message{}, err
			}
			return Message{}, &coaching.NotFoundError{Kind: "notice", ID: noticeID}
		}
		if fam, ok := sc.NoticeDocument(n); ok && fam.Welfare {
			return Message{}, sc.DenyCase(coaching.OpSendMessage, c, RuleWelfare,
				"the notice concerns student-welfare information, which messages never carry: contact the welfare staff directly")
		}
		from := sender(actor, c, p)
		if err := denyWelfare(sc, c, from); err != nil {
			return Message{}, err
		}
		var to []recipient
		author, authorKind := n.Data[DataFrom], PartyKind(n.Data[DataFromKind])
		isMessage := n.Kind == NoticeKindMessage || n.Kind == NoticeKindReply
		switch {
		case from.Kind == Staff:
			if !isMessage || authorKind == Staff || authorKind == "" {
				return Message{}, &coaching.ValidationError{Subject: "reply", Problems: []coaching.FieldProblem{{Field: "notice_id",
					Message: "staff reply to a family member's message; to write to the family, send a message"}}}
			}
			r, problem := familyRecipient(p, author, authorKind, coaching.DateOf(sc.Now()))
			if problem != "" {
				return Message{}, &coaching.ValidationError{Subject: "reply", Problems: []coaching.FieldProblem{{Field: "notice_id", Message: problem}}}
			}
			to = []recipient{r}
		default:
			if isMessage && authorKind == Staff {
				if m, ok := member(c, author); ok {
					to = []recipient{staffRecipient(m)}
				}
			}
			if decider := n.Data[DataDecidedBy]; !isMessage && decider != "" {
				if m, ok := member(c, decider); ok {
					to = []recipient{staffRecipient(m)}
				}
			}
			if len(to) == 0 {
				to = responsible(c)
			}
			if len(to) == 0 {
				return Message{}, &coaching.ValidationError{Subject: "reply", Problems: []coaching.FieldProblem{{Field: "case_id",
					Message: "the case has no personal tutor or coach on its team to receive the reply"}}}
			}
		}
		thread, subject := "", n.Subject
		if isMessage && coaching.ValidDocumentID(prefix, n.Data[DataThread]) {
			first, err := sc.ReadTx().Document(sc.Context(), id, kind(n.Data[DataThread]), 1)
			switch {
			case err == nil:
				var m Message
				if err := json.Unmarshal(first.Data, &m); err != nil {
					return Message{}, fmt.Errorf("message: stored message %s/1 does not decode: %w", n.Data[DataThread], err)
				}
				thread, subject = n.Data[DataThread], m.Subject
			case !errors.Is(err, coaching.ErrNotFound):
				return Message{}, err
			}
		}
		if thread == "" {
			// A thread of its own, its id generated: never derived from
			// the notice, so that no one can name another's thread.
			if thread = coaching.DocumentID(sc.NewID()); thread == "" {
				return Message{}, errors.New("message: the id generator gave no usable thread id (letters and digits)")
			}
		}
		for len(subject) > MaxSubjectBytes {
			_, size := utf8.DecodeLastRuneInString(subject)
			subject = subject[:len(subject)-size] // whole characters only
		}
		m := Message{Thread: thread, CaseID: id, From: from, Subject: subject, Text: text, ReplyTo: n.ID}
		return s.save(sc, c, m, to, NoticeKindReply, "message_reply", "reply to a notice ("+kindName(n.Kind)+")")
	})
}

// Thread returns the messages of a thread of case id, oldest first. The
// policy's read_requests rule decides who may read the case's threads
// (the default: the school's staff on the team, the head of studies, the
// student, and a guardian of a minor or with the adult's consent). Staff
// read every message of the thread; a family member only the messages
// they wrote or were written to — another guardian's reply and staff's
// answer to it are not theirs — and a thread with none of those is
// refused ([RuleThreadParty]). An unknown thread is a
// *coaching.NotFoundError. The thread's document is read only here: the
// generic case read refuses it ([coaching.DocumentKind.Private]).
func (s *Service) Thread(ctx context.Context, actor coaching.Actor, id coaching.CaseID, thread string) ([]Message, error) {
	if !coaching.ValidDocumentID(prefix, thread) {
		return nil, &coaching.NotFoundError{Kind: "message thread", ID: thread}
	}
	var out []Message
	err := s.eng.Read(ctx, actor, func(sc *coaching.Scope) error {
		c, err := sc.Case(coaching.OpReadRequests, id)
		if err != nil {
			return err
		}
		if _, err := sc.Guard(id, kind(thread)); err != nil {
			return err
		}
		p, err := sc.ReadTx().Participant(sc.Context(), c.Organisation, c.ParticipantID)
		if err != nil {
			return err
		}
		msgs, err := readThread(sc.Context(), sc.ReadTx(), id, thread, sender(actor, c, p))
		if err != nil {
			return err
		}
		if len(msgs) == 0 {
			return sc.DenyCase(coaching.OpReadRequests, c, RuleThreadParty, "a family member reads only the messages they wrote or were written to")
		}
		out = msgs
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Summary is a thread as a reader sees it: the messages of it they may
// read ([Service.Thread]).
type Summary struct {
	Thread  string `json:"thread"`
	Subject string `json:"subject"`
	// Messages is how many messages of the thread the reader may read.
	Messages int `json:"messages"`
	// Last is the latest of them.
	Last Message `json:"last"`
}

// Threads lists the threads of case id the actor may read, the most
// recently written first: staff every thread, a family member those with
// a message they wrote or were written to, each summarised by what they
// may read of it (see [Service.Thread]). The policy's read_requests rule
// decides who may read the case's threads. The threads are found in the
// case's audit trail, so a listing costs a read of the case's history.
func (s *Service) Threads(ctx context.Context, actor coaching.Actor, id coaching.CaseID) ([]Summary, error) {
	var out []Summary
	err := s.eng.Read(ctx, actor, func(sc *coaching.Scope) error {
		c, err := sc.Case(coaching.OpReadRequests, id)
		if err != nil {
			return err
		}
		p, err := sc.ReadTx().Participant(sc.Context(), c.Organisation, c.ParticipantID)
		if err != nil {
			return err
		}
		reader := sender(actor, c, p)
		threads, err := documentsOf(sc.Context(), sc.ReadTx(), id, prefix)
		if err != nil {
			return err
		}
		for _, thread := range threads {
			msgs, err := readThread(sc.Context(), sc.ReadTx(), id, thread, reader)
			if err != nil {
				return err
			}
			if len(msgs) > 0 {
				out = append(out, Summary{Thread: thread, Subject: msgs[0].Subject, Messages: len(msgs), Last: msgs[len(msgs)-1]})
			}
		}
		slices.SortStableFunc(out, func(a, b Summary) int { return b.Last.At.Compare(a.Last.At) })
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// documentsOf returns the ids of the case's documents of the family
// prefix, in the order they were first written, from the case's audit
// trail (each stored version's entry names its document).
func documentsOf(ctx context.Context, tx coaching.ReadTx, id coaching.CaseID, prefix string) ([]string, error) {
	trail, err := tx.AuditTrail(ctx, id, 0)
	if err != nil {
		return nil, err
	}
	var ids []string
	seen := map[string]bool{}
	for _, e := range trail {
		if e.Kind != coaching.AuditDocument {
			continue
		}
		var doc struct {
			Kind string `json:"kind"`
		}
		if json.Unmarshal(e.Payload, &doc) != nil {
			continue
		}
		if k, ok := strings.CutPrefix(doc.Kind, prefix); ok && coaching.ValidDocumentID(prefix, k) && !seen[k] {
			seen[k] = true
			ids = append(ids, k)
		}
	}
	return ids, nil
}

// readThread returns the messages of thread the reader may read: staff
// all, a family member those they wrote or were written to.
func readThread(ctx context.Context, tx coaching.ReadTx, id coaching.CaseID, thread string, reader Party) ([]Message, error) {
	docs, err := tx.Documents(ctx, id, kind(thread))
	if err != nil {
		return nil, err
	}
	msgs := make([]Message, 0, len(docs))
	for _, d := range docs {
		var m Message
		if err := json.Unmarshal(d.Data, &m); err != nil {
			return nil, fmt.Errorf("message: stored message %s/%d does not decode: %w", thread, d.Version, err)
		}
		m.Seq = d.Version
		if reader.Kind == Staff || party(reader, m) {
			msgs = append(msgs, m)
		}
	}
	return msgs, nil
}

// write runs fn in a write scope with case id (send_message allowed) and
// its participant, again in a fresh one when a concurrent change of the
// case won (coaching.WriteRetrying: a random growing wait, never in a
// bound engine's host transaction).
func (s *Service) write(ctx context.Context, actor coaching.Actor, id coaching.CaseID, fn func(sc *coaching.Scope, c coaching.Case, p coaching.Participant) (Message, error)) (Message, error) {
	var out Message
	err := coaching.WriteRetrying(ctx, s.eng, actor, func(sc *coaching.Scope) error {
		c, err := sc.Case(coaching.OpSendMessage, id)
		if err != nil {
			return err
		}
		p, err := sc.ReadTx().Participant(sc.Context(), c.Organisation, c.ParticipantID)
		if err != nil {
			return err
		}
		out, err = fn(sc, c, p)
		return err
	})
	if err != nil {
		return Message{}, err
	}
	return out, nil
}

// recipient is a party with where and in which language to reach them.
type recipient struct {
	Party
	to coaching.Recipient
}

// save stores m as the next version of its thread, with a notice to each
// recipient; the audit entry names the kind of message, never its text.
func (s *Service) save(sc *coaching.Scope, c coaching.Case, m Message, to []recipient, noticeKind, event, reason string) (Message, error) {
	ctx := sc.Context()
	var latest int64
	switch last, err := sc.ReadTx().Document(ctx, c.ID, kind(m.Thread), 0); {
	case err == nil:
		latest = last.Version
	case !errors.Is(err, coaching.ErrNotFound):
		return Message{}, err
	}
	now := sc.Now()
	m.Seq, m.At = latest+1, now
	for _, r := range to {
		m.To = append(m.To, r.Party)
	}
	data, err := json.Marshal(m)
	if err != nil {
		return Message{}, err
	}
	notices := make([]coaching.Notice, 0, len(to))
	for _, r := range to {
		subject, body := s.texts.RenderNotice(noticeKind, r.to.Language, map[string]string{
			"case": string(c.ID), "from": m.From.Name, "subject": m.Subject, "text": m.Text})
		data := map[string]string{"case_id": string(c.ID), DataThread: m.Thread, DataSeq: strconv.FormatInt(m.Seq, 10),
			DataFrom: m.From.ID, DataFromKind: string(m.From.Kind)}
		if m.ReplyTo != "" {
			data[DataReplyTo] = m.ReplyTo
		}
		notices = append(notices, coaching.Notice{
			ID:     noticeKind + ":" + string(c.ID) + ":" + m.Thread + ":" + strconv.FormatInt(m.Seq, 10) + ":" + r.ID,
			CaseID: c.ID, Kind: noticeKind, Recipient: r.to,
			Subject: subject, Body: body, Data: data, CreatedAt: now, NotBefore: now, Status: coaching.NoticePending})
	}
	_, err = sc.SaveDocumentAs(coaching.OpSendMessage, c.ID, coaching.DocumentChange{Kind: kind(m.Thread), BasedOn: latest,
		Status: string(m.From.Kind), Data: data, Event: event, Reason: reason, Notices: notices})
	if err != nil {
		return Message{}, err
	}
	return m, nil
}

// sender returns the actor as a writer or reader on case c of
// participant p, by their relation to this case's participant first: a
// guardian of p (recorded on p, or asserted in the actor's relations) is
// a guardian and p themself the student, whatever other roles they hold
// (a teacher who is the student's parent writes as the parent). Otherwise
// staff: on the case's team in a staff role they hold (a role outside
// student welfare preferred), or the head of studies. Anyone else the
// policy let through is a guardian or the student by their role.
func sender(actor coaching.Actor, c coaching.Case, p coaching.Participant) Party {
	if g, ok := p.GuardianOf(actor); ok {
		return Party{ID: actor.ID, Name: nameOr(g.Name, actor), Kind: Guardian, Role: coaching.RoleGuardian}
	}
	if p.IsStudent(actor) {
		return Party{ID: actor.ID, Name: nameOr(actor.Name, coaching.Actor{ID: actor.ID, Name: p.Name()}), Kind: Student, Role: coaching.RoleStudent}
	}
	var staff *coaching.TeamMember
	for _, m := range c.Team {
		if m.ActorID == actor.ID && m.Role != coaching.RoleGuardian && m.Role != coaching.RoleStudent && actor.HasRole(m.Role) &&
			(staff == nil || staff.Role.IsWelfare() && !m.Role.IsWelfare()) {
			staff = &m
		}
	}
	switch {
	case staff != nil:
		return Party{ID: actor.ID, Name: nameOr(staff.Name, actor), Kind: Staff, Role: staff.Role}
	case actor.HasRole(coaching.RoleHeadOfStudies):
		return Party{ID: actor.ID, Name: nameOr(actor.Name, actor), Kind: Staff, Role: coaching.RoleHeadOfStudies}
	case actor.HasRole(coaching.RoleGuardian):
		return Party{ID: actor.ID, Name: nameOr(actor.Name, actor), Kind: Guardian, Role: coaching.RoleGuardian}
	}
	return Party{ID: actor.ID, Name: nameOr(actor.Name, coaching.Actor{ID: actor.ID, Name: p.Name()}), Kind: Student, Role: coaching.RoleStudent}
}

// denyWelfare refuses student-welfare staff writing through messages.
func denyWelfare(sc *coaching.Scope, c coaching.Case, from Party) error {
	if from.Kind == Staff && from.Role.IsWelfare() {
		return sc.DenyCase(coaching.OpSendMessage, c, RuleWelfareStaff,
			"student-welfare staff do not write to families through messages, which the whole team reads: contact the family directly")
	}
	return nil
}

func nameOr(name string, a coaching.Actor) string {
	if strings.TrimSpace(name) != "" {
		return name
	}
	if a.Name != "" {
		return a.Name
	}
	return a.ID
}

// addressedTo reports whether notice n was sent to the actor: to their
// id, or — for a student — to their participant id.
func addressedTo(actor coaching.Actor, n coaching.Notice, p coaching.Participant) bool {
	if n.Recipient.ID == actor.ID {
		return true
	}
	return actor.HasRole(coaching.RoleStudent) && n.Recipient.ID == string(p.ID) && n.Recipient.Role == coaching.RoleStudent
}

// party reports whether the family member reader (a guardian or the
// student, as [sender] classified them) wrote m or was written to: a
// guardian by their id, the student as the case's student (written to
// under their participant id, writing under their actor id).
func party(reader Party, m Message) bool {
	is := func(pt Party) bool {
		switch reader.Kind {
		case Guardian:
			return pt.Kind == Guardian && pt.ID == reader.ID
		case Student:
			return pt.Kind == Student
		}
		return false
	}
	return is(m.From) || slices.ContainsFunc(m.To, is)
}

func member(c coaching.Case, actorID string) (coaching.TeamMember, bool) {
	for _, m := range c.Team {
		if m.ActorID == actorID && m.Role != coaching.RoleGuardian && m.Role != coaching.RoleStudent {
			return m, true
		}
	}
	return coaching.TeamMember{}, false
}

// responsible returns the case's responsible staff: every personal tutor
// on the team, or every coach when there is none.
func responsible(c coaching.Case) []recipient {
	var out []recipient
	for _, m := range c.Responsible() {
		if !slices.ContainsFunc(out, func(r recipient) bool { return r.ID == m.ActorID }) {
			out = append(out, staffRecipient(m))
		}
	}
	return out
}

func staffRecipient(m coaching.TeamMember) recipient {
	return recipient{Party: Party{ID: m.ActorID, Name: m.Name, Kind: Staff, Role: m.Role}, to: m.Recipient()}
}

func studentRecipient(p coaching.Participant) recipient {
	return recipient{Party: Party{ID: string(p.ID), Name: p.Name(), Kind: Student, Role: coaching.RoleStudent},
		to: coaching.TeamMember{ActorID: string(p.ID), Name: p.Name(), Role: coaching.RoleStudent, Contact: p.Contact, Language: p.Language}.Recipient()}
}

func guardianRecipient(p coaching.Participant, g coaching.Guardian) recipient {
	return recipient{Party: Party{ID: g.ID, Name: g.Name, Kind: Guardian, Role: coaching.RoleGuardian},
		to: coaching.TeamMember{ActorID: g.ID, Name: g.Name, Role: coaching.RoleGuardian, Contact: g.Contact, Language: cmp.Or(g.Language, p.Language)}.Recipient()}
}

// guardianRecipients returns the guardians who may be written to on
// today, or why none may.
func guardianRecipients(p coaching.Participant, today coaching.Date) ([]recipient, string) {
	if !p.GuardiansInformedOn(today) {
		return nil, "the student is 18 or over and has not consented to their guardians being informed"
	}
	var out []recipient
	for _, g := range p.Guardians {
		if g.Contact.Reachable() {
			out = append(out, guardianRecipient(p, g))
		}
	}
	if len(out) == 0 {
		return nil, "the student has no guardian with contact details"
	}
	return out, ""
}

// familyRecipient returns the family member who wrote a message staff
// reply to, or why they may not be written to.
func familyRecipient(p coaching.Participant, id string, k PartyKind, today coaching.Date) (recipient, string) {
	switch k {
	case Student:
		return studentRecipient(p), ""
	case Guardian:
		if !p.GuardiansInformedOn(today) {
			return recipient{}, "the student is 18 or over and has not consented to their guardians being informed"
		}
		for _, g := range p.Guardians {
			if g.ID == id {
				return guardianRecipient(p, g), ""
			}
		}
		return recipient{}, "the guardian who wrote is no longer recorded on the student"
	}
	return recipient{}, "the message has no family writer to reply to"
}

// kindName names a notice's kind for the audit reason: the kind's own
// name when it is an identifier, never anything of its content.
func kindName(k string) string {
	if coaching.ValidDocumentID("", k) {
		return k
	}
	return "other"
}

func textProblems(text string) []coaching.FieldProblem {
	var pr []coaching.FieldProblem
	if strings.TrimSpace(text) == "" {
		pr = append(pr, coaching.FieldProblem{Field: "text", Message: "required"})
	}
	return append(pr, coaching.TextProblems("text", text, MaxTextBytes, true)...)
}
