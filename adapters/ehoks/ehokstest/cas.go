package ehokstest

import (
	"fmt"
	"net/http"
	"strings"
	"time"
)

// serveTGT answers POST /cas/v1/tickets: 201 with the TGT's URL in
// Location for the right credentials, 401 otherwise.
func (s *Server) serveTGT(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if r.PostForm.Get("username") != s.opts.Username || r.PostForm.Get("password") != s.opts.Password {
		s.casLog = append(s.casLog, "TGT 401")
		http.Error(w, "error.authentication.credentials.bad", http.StatusUnauthorized)
		return
	}
	s.seq++
	tgt := fmt.Sprintf("TGT-%d-fake", s.seq)
	s.tgts[tgt] = true
	s.stats.TGTs++
	s.casLog = append(s.casLog, "TGT 201")
	w.Header().Set("Location", s.URL+"/cas/v1/tickets/"+tgt)
	w.WriteHeader(http.StatusCreated)
}

// serveST answers POST /cas/v1/tickets/{tgt}: 200 with a single-use ST for
// the service, 404 for a TGT CAS does not know (or has expired).
func (s *Server) serveST(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	service := r.PostForm.Get("service")
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.tgts[r.PathValue("tgt")] {
		s.casLog = append(s.casLog, "ST 404")
		http.Error(w, "TGT not found", http.StatusNotFound)
		return
	}
	if service == "" {
		http.Error(w, "service missing", http.StatusBadRequest)
		return
	}
	s.seq++
	st := fmt.Sprintf("ST-%d-fake", s.seq)
	s.sts[st] = &ticket{service: service, issued: s.opts.Now(), refused: s.expireNextST}
	s.expireNextST = false
	s.stats.STs++
	s.casLog = append(s.casLog, "ST 200")
	w.Header().Set("Content-Type", "text/plain;charset=UTF-8")
	_, _ = w.Write([]byte(st))
}

// ticket is an issued service ticket.
type ticket struct {
	service string
	issued  time.Time
	refused bool
	used    bool
}

// validTicket consumes st as CAS's serviceValidate does: it must have been
// issued for eHOKS's service, not used, and be younger than the ST
// lifetime. Called with s.mu held.
func (s *Server) validTicket(st string) bool {
	t := s.sts[strings.TrimSpace(st)]
	if t == nil || t.used {
		return false
	}
	t.used = true
	if t.refused || t.service != s.URL+ServicePath {
		return false
	}
	return s.opts.Now().Sub(t.issued) <= s.opts.STLifetime
}
