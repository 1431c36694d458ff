package ehokstest

import (
	"net/http"
	"slices"

	"github.com/valmennus/valmennus/hoks"
)

// ExpireTGTs makes CAS forget every ticket-granting ticket, as after a
// CAS restart or once a TGT's lifetime is over: the next service-ticket
// request answers 404.
func (s *Server) ExpireTGTs() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.tgts)
}

// ExpireNextST makes the next service ticket CAS issues one eHOKS will not
// accept (401), as an ST that expired before it was used.
func (s *Server) ExpireNextST() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expireNextST = true
}

// ExpireTicketsNow makes every service ticket issued so far invalid.
func (s *Server) ExpireTicketsNow() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range s.sts {
		t.refused = true
	}
}

// FailNext makes the next n API requests answer status (e.g. 500, 503)
// with eHOKS's "linked system" error body, before anything is checked or
// changed.
func (s *Server) FailNext(n, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failNext, s.failStatus, s.failRetryAfter = n, status, ""
}

// ThrottleNext makes the next n API requests answer 429 Too Many
// Requests, as a rate limit in front of eHOKS does, with retryAfter as the
// Retry-After header (seconds, e.g. "2", or an HTTP date; none when "").
func (s *Server) ThrottleNext(n int, retryAfter string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failNext, s.failStatus, s.failRetryAfter = n, http.StatusTooManyRequests, retryAfter
}

// FailNextAfterWrite makes the next n successful writes (POST, PUT,
// PATCH) answer status after the change is made: the answer is lost, the
// change is not.
func (s *Server) FailNextAfterWrite(n, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failAfter, s.failAfterCode = n, status
}

// DenyAccess makes the API refuse every request with a valid ticket as
// eHOKS does when the account has no privilege for the school: 401
// "No access is allowed". DenyAccess(false) lifts it.
func (s *Server) DenyAccess(deny bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.deny = deny
}

// Requests returns the API requests answered so far, oldest first.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.log)
}

// CASLog returns what CAS answered so far, oldest first, as "TGT 201",
// "ST 200", "ST 404", … (never a ticket).
func (s *Server) CASLog() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.casLog)
}

// Stats returns how many tickets CAS issued.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

// Len returns how many HOKSes the fake holds.
func (s *Server) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.plans)
}

// Plan returns the HOKS with eHOKS id id as GET would, or nil.
func (s *Server) Plan(id int64) *hoks.Plan {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec := s.plans[id]
	if rec == nil {
		return nil
	}
	p, err := s.view(id, rec)
	if err != nil {
		return nil
	}
	return p
}
