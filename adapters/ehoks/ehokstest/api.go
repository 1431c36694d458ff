package ehokstest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/valmennus/valmennus/hoks"
)

// reply is an API answer: a status and a JSON body (nil for none).
type reply struct {
	status int
	body   any
}

func errorReply(status int, msg string) reply {
	return reply{status, map[string]any{"error": msg}}
}

const maxBody = 4 << 20

// api wraps a route with what eHOKS does before its handlers: the header
// coercion (400), the ticket (401), the account type (403) and the
// privilege (401). The fake's state is locked for the whole request.
func (s *Server) api(h func(r *http.Request, raw []byte) reply) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		raw, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
		s.mu.Lock()
		retryAfter := ""
		rep := func() reply {
			if s.failNext > 0 {
				s.failNext--
				if s.failStatus == http.StatusTooManyRequests {
					retryAfter = s.failRetryAfter
					return errorReply(s.failStatus, "Too many requests")
				}
				return errorReply(s.failStatus, "(transient?) failure in call to a linked system, maybe downtime.  If this doesn't go away, contact eHOKS support.")
			}
			if err != nil || len(raw) > maxBody {
				return errorReply(http.StatusRequestEntityTooLarge, "request body too large")
			}
			missing := map[string]any{}
			for _, h := range []string{"caller-id", "ticket"} {
				if r.Header.Get(h) == "" {
					missing[h] = "missing-required-key"
				}
			}
			if len(missing) > 0 {
				return reply{http.StatusBadRequest, map[string]any{
					"type": "compojure.api.exception/request-validation", "coercion": "schema",
					"in": []string{"request", "headers"}, "errors": missing}}
			}
			if !s.validTicket(r.Header.Get("ticket")) {
				return errorReply(http.StatusUnauthorized, "User not found for given ticket. Ticket may be expired.")
			}
			if s.opts.AccountType != "PALVELU" {
				return errorReply(http.StatusForbidden, "User type 'PALVELU' is required")
			}
			if s.deny {
				return errorReply(http.StatusUnauthorized, "No access is allowed. Check Opintopolku privileges and 'opiskeluoikeus'")
			}
			rep := h(r, raw)
			if r.Method != http.MethodGet && rep.status < 300 && s.failAfter > 0 {
				s.failAfter--
				return errorReply(s.failAfterCode, "(transient?) failure in call to a linked system, maybe downtime.  If this doesn't go away, contact eHOKS support.")
			}
			return rep
		}()
		path := strings.TrimPrefix(r.URL.Path, APIPath)
		if path == "" {
			path = "/"
		}
		s.log = append(s.log, Request{Method: r.Method, Path: path, Status: rep.status, Versio: versioOf(raw)})
		s.mu.Unlock()
		if retryAfter != "" {
			w.Header().Set("Retry-After", retryAfter)
		}
		if rep.body == nil {
			w.WriteHeader(rep.status)
			return
		}
		b, _ := json.Marshal(rep.body)
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(rep.status)
		_, _ = w.Write(b)
	}
}

func versioOf(raw []byte) *int {
	var v struct {
		Versio *int `json:"versio"`
	}
	if json.Unmarshal(raw, &v) != nil {
		return nil
	}
	return v.Versio
}

// pathID reads the :hoks-id path parameter; eHOKS coerces it to an int.
func pathID(r *http.Request) (int64, *reply) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return 0, &reply{http.StatusBadRequest, map[string]any{
			"type": "compojure.api.exception/request-validation", "coercion": "schema",
			"in": []string{"request", "path-params"}, "errors": map[string]any{"hoks-id": "(not (integer? \"" + r.PathValue("id") + "\"))"}}}
	}
	return id, nil
}

// create is POST /hoks (HOKSLuonti).
func (s *Server) create(r *http.Request, raw []byte) reply {
	p, rep := s.readPlan(raw, methodPost, nil)
	if rep != nil {
		return *rep
	}
	if _, dup := s.byOID[*p.StudyRightOID]; dup {
		return errorReply(http.StatusBadRequest, "HOKS with the same opiskeluoikeus-oid already exists")
	}
	s.nextID++
	id := s.nextID
	s.assignIDs(p)
	s.plans[id] = &stored{plan: p, eid: newUUID()}
	s.byOID[*p.StudyRightOID] = id
	return reply{http.StatusOK, map[string]any{
		"meta": map[string]any{"id": id},
		"data": map[string]any{"uri": fmt.Sprintf("%s/%d", strings.TrimRight(r.URL.Path, "/"), id)}}}
}

// get is GET /hoks/:id.
func (s *Server) get(r *http.Request, _ []byte) reply {
	id, bad := pathID(r)
	if bad != nil {
		return *bad
	}
	return s.answerPlan(id)
}

// getByStudyRight is GET /hoks/opiskeluoikeus/:oid.
func (s *Server) getByStudyRight(r *http.Request, _ []byte) reply {
	id, ok := s.byOID[r.PathValue("oid")]
	if !ok {
		return errorReply(http.StatusNotFound, "No HOKS found with given opiskeluoikeus")
	}
	return s.answerPlan(id)
}

func (s *Server) answerPlan(id int64) reply {
	rec := s.plans[id]
	if rec == nil {
		return errorReply(http.StatusNotFound, "HOKS not found")
	}
	p, err := s.view(id, rec)
	if err != nil {
		return errorReply(http.StatusInternalServerError, err.Error())
	}
	b, err := hoks.Encode(p)
	if err != nil {
		return errorReply(http.StatusInternalServerError, err.Error())
	}
	return reply{http.StatusOK, map[string]any{"meta": map[string]any{}, "data": json.RawMessage(b)}}
}

// put is PUT /hoks/:id (HOKSKorvaus): the body replaces the plan, the
// members it leaves out are emptied, every part gets new ids.
func (s *Server) put(r *http.Request, raw []byte) reply {
	rec, bad := s.record(r)
	if bad != nil {
		return *bad
	}
	p, rep := s.readPlan(raw, methodPut, rec.plan)
	if rep != nil {
		return *rep
	}
	s.assignIDs(p)
	rec.plan = p
	return reply{status: http.StatusNoContent}
}

// patch is PATCH /hoks/:id (HOKSPaivitys): the body's top-level values
// replace the plan's; the rest stays.
func (s *Server) patch(r *http.Request, raw []byte) reply {
	rec, bad := s.record(r)
	if bad != nil {
		return *bad
	}
	p, rep := s.readPlan(raw, methodPatch, rec.plan)
	if rep != nil {
		return *rep
	}
	rec.plan = p
	return reply{status: http.StatusNoContent}
}

// record finds the HOKS of the :hoks-id path parameter, or the answer.
func (s *Server) record(r *http.Request) (*stored, *reply) {
	id, bad := pathID(r)
	if bad != nil {
		return nil, bad
	}
	rec := s.plans[id]
	if rec == nil {
		return nil, ptr(errorReply(http.StatusNotFound, "HOKS not found"))
	}
	return rec, nil
}

// view is a stored plan as GET answers it.
func (s *Server) view(id int64, rec *stored) (*hoks.Plan, error) {
	p, err := clonePlan(rec.plan)
	if err != nil {
		return nil, err
	}
	p.ID, p.EID, p.ManualEntry = &id, &rec.eid, hoks.Ref(false)
	addEmptyLists(p)
	return p, nil
}

func clonePlan(p *hoks.Plan) (*hoks.Plan, error) {
	b, err := hoks.Encode(p)
	if err != nil {
		return nil, err
	}
	return hoks.Decode(b, &hoks.DecodeOptions{KeepUnknown: true})
}

// decodeDoc reads a JSON object keeping numbers exact.
func decodeDoc(raw []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, fmt.Errorf("trailing data")
	}
	return doc, nil
}
