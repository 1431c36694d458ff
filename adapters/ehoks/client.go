package ehoks

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/hoks"
)

// API is what a HOKS sync needs from eHOKS. [*Client] implements it; a
// test may put a stand-in behind it.
type API interface {
	// Create adds a HOKS (POST) and returns its eHOKS id.
	Create(ctx context.Context, p *hoks.Plan) (int64, error)
	// Get reads a HOKS by its eHOKS id.
	Get(ctx context.Context, id int64) (*hoks.Plan, error)
	// GetByStudyRight reads the HOKS of a KOSKI study right.
	GetByStudyRight(ctx context.Context, studyRightOID string) (*hoks.Plan, error)
	// Put replaces a HOKS (PUT).
	Put(ctx context.Context, id int64, p *hoks.Plan) error
	// Patch changes a HOKS's top-level values (PATCH).
	Patch(ctx context.Context, id int64, p *hoks.Plan) error
}

var _ API = (*Client)(nil)

// Defaults of [Options].
const (
	DefaultMaxAttempts = 4
	DefaultBaseBackoff = 500 * time.Millisecond
	DefaultMaxBackoff  = 10 * time.Second
	DefaultTGTLifetime = 2 * time.Hour
	DefaultTimeout     = 30 * time.Second
)

// maxResponse bounds an answer's body: a HOKS is at most
// [hoks.MaxDocumentSize], wrapped in {"meta":…,"data":…}.
const maxResponse = hoks.MaxDocumentSize + 64<<10

// Options configure a [Client]. CallerID, BaseURL, Username and Password
// are required.
type Options struct {
	// BaseURL is the Opintopolku officials' host, e.g.
	// "https://virkailija.opintopolku.fi" (test: virkailija.testiopintopolku.fi).
	// The API is under BaseURL+"/ehoks-virkailija-backend/api/v1/hoks" and
	// the CAS service is BaseURL+"/ehoks-virkailija-backend/cas-security-check".
	BaseURL string
	// CASURL is the CAS server; default BaseURL+"/cas".
	CASURL string
	// Username and Password are the CAS service account's (user type
	// PALVELU, with the ROLE_APP_EHOKS_CRUD role for the schools whose
	// plans it writes). They are never logged or put in an error.
	Username, Password string
	// CallerID is sent as the caller-id header on every request, which
	// eHOKS requires: Opintopolku's convention is
	// "<organisation OID>.<system name>".
	CallerID string
	// HTTPClient sends the requests; default one with a DefaultTimeout
	// timeout. The client is copied and redirects are never followed: a
	// CAS POST carries credentials.
	HTTPClient *http.Client
	// MaxAttempts is how many times one call is tried when eHOKS or CAS
	// answers 5xx or 429 Too Many Requests or the connection fails;
	// default DefaultMaxAttempts. Other 4xx answers are never retried.
	MaxAttempts int
	// BaseBackoff and MaxBackoff bound the wait before attempt n+1: about
	// BaseBackoff·2ⁿ⁻¹ (half of it fixed, half random), at most MaxBackoff;
	// defaults DefaultBaseBackoff and DefaultMaxBackoff. After a 429 or 503
	// with a Retry-After header (seconds or an HTTP date) the wait is at
	// least what eHOKS asked, but never over MaxBackoff either.
	BaseBackoff, MaxBackoff time.Duration
	// TGTLifetime is how long a ticket-granting ticket is reused; default
	// DefaultTGTLifetime (eHOKS's own clients use two hours). A TGT CAS
	// has forgotten earlier is replaced when CAS says so.
	TGTLifetime time.Duration
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Sleep waits between attempts; default a timer that returns ctx's
	// error when ctx is done first.
	Sleep func(ctx context.Context, d time.Duration) error
}

// Client calls eHOKS's service API with CAS service tickets. It is safe
// for concurrent use.
type Client struct {
	api      string // …/ehoks-virkailija-backend/api/v1/hoks
	service  string // …/ehoks-virkailija-backend/cas-security-check
	callerID string
	http     *http.Client
	cas      *cas
	attempts int
	base     time.Duration
	max      time.Duration
	now      func() time.Time
	sleep    func(ctx context.Context, d time.Duration) error
}

// New checks opts and returns a client. Nothing is sent until the first
// call.
func New(opts Options) (*Client, error) {
	var problems []coaching.FieldProblem
	base, err := checkURL(opts.BaseURL)
	if err != nil {
		problems = append(problems, coaching.FieldProblem{Field: "BaseURL", Message: err.Error()})
	}
	casURL := base + "/cas"
	if opts.CASURL != "" {
		if casURL, err = checkURL(opts.CASURL); err != nil {
			problems = append(problems, coaching.FieldProblem{Field: "CASURL", Message: err.Error()})
		}
	}
	if opts.Username == "" {
		problems = append(problems, coaching.FieldProblem{Field: "Username", Message: "is required"})
	}
	if opts.Password == "" {
		problems = append(problems, coaching.FieldProblem{Field: "Password", Message: "is required"})
	}
	if strings.TrimSpace(opts.CallerID) == "" || strings.ContainsAny(opts.CallerID, "\r\n") {
		problems = append(problems, coaching.FieldProblem{Field: "CallerID", Message: "is required (one line, e.g. 1.2.246.562.10.00000000001.valmennus)"})
	}
	if opts.MaxAttempts < 0 || opts.BaseBackoff < 0 || opts.MaxBackoff < 0 || opts.TGTLifetime < 0 {
		problems = append(problems, coaching.FieldProblem{Message: "MaxAttempts, BaseBackoff, MaxBackoff and TGTLifetime must not be negative"})
	}
	if len(problems) > 0 {
		return nil, &coaching.ValidationError{Subject: "eHOKS client options", Problems: problems}
	}
	hc := &http.Client{Timeout: DefaultTimeout}
	if opts.HTTPClient != nil {
		copied := *opts.HTTPClient
		hc = &copied
	}
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	c := &Client{
		api:      base + "/ehoks-virkailija-backend/api/v1/hoks",
		service:  base + "/ehoks-virkailija-backend/cas-security-check",
		callerID: strings.TrimSpace(opts.CallerID),
		http:     hc,
		attempts: orDefault(opts.MaxAttempts, DefaultMaxAttempts),
		base:     orDefault(opts.BaseBackoff, DefaultBaseBackoff),
		max:      orDefault(opts.MaxBackoff, DefaultMaxBackoff),
		sleep:    opts.Sleep,
	}
	if c.sleep == nil {
		c.sleep = sleepCtx
	}
	c.now = opts.Now
	if c.now == nil {
		c.now = time.Now
	}
	c.cas = newCAS(casURL, opts.Username, opts.Password, hc, c.now, orDefault(opts.TGTLifetime, DefaultTGTLifetime))
	return c, nil
}

func orDefault[T int | time.Duration](v, def T) T {
	if v == 0 {
		return def
	}
	return v
}

func checkURL(s string) (string, error) {
	u, err := url.Parse(strings.TrimRight(s, "/"))
	if s == "" {
		return "", errors.New("is required")
	}
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil || u.RawQuery != "" {
		return "", errors.New("must be an http(s) URL without credentials or query, e.g. https://virkailija.opintopolku.fi")
	}
	return u.String(), nil
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Create adds p to eHOKS (POST /hoks, schema HOKSLuonti) and returns its
// eHOKS id. The read-only members (id, eid, manuaalisyotto, poistettu) and
// the ids and module-ids of the parts are left out of the body, as eHOKS's
// schema demands. A second HOKS for the same study right is [ErrExists];
// eHOKS's validation refusal is an [*APIError] with the problems.
//
// eHOKS has no idempotency key, so a POST that failed with a 5xx or a lost
// connection may have created the HOKS. Before trying again Create reads
// the study right's HOKS: when there is one and it does not differ from p
// ([hoks.Diff] after [Normalize]) it is taken as this call's and its id
// returned; when it differs, the answer is [ErrExists]; when there is none
// the POST is sent again. Creating a HOKS for a study right twice is thus
// never the client's doing.
//
// ctx bounds the whole call, retries and waits included; when it is done
// Create returns its error (the HOKS may or may not exist then).
func (c *Client) Create(ctx context.Context, p *hoks.Plan) (int64, error) {
	body, err := requestBody(p, http.MethodPost, 0)
	if err != nil {
		return 0, err
	}
	ambiguous := false
	var last error
	var after time.Duration // eHOKS's Retry-After
	for attempt := 1; attempt <= c.attempts; attempt++ {
		if attempt > 1 {
			if err := c.wait(ctx, attempt-1, after); err != nil {
				return 0, err
			}
		}
		after = 0
		if ambiguous && p.StudyRightOID != nil {
			id, found, err := c.adopt(ctx, p)
			switch {
			case err != nil:
				return 0, err
			case found:
				return id, nil
			}
		}
		ans, err := c.call(ctx, http.MethodPost, "", "/hoks", body)
		if err != nil {
			if !retryable(err) {
				return 0, err
			}
			last, ambiguous = err, true
			continue
		}
		status, data := ans.status, ans.data
		switch {
		case status == http.StatusOK || status == http.StatusCreated:
			var created struct {
				Meta struct {
					ID *int64 `json:"id"`
				} `json:"meta"`
			}
			if err := json.Unmarshal(data, &created); err != nil || created.Meta.ID == nil {
				return 0, fmt.Errorf("ehoks: POST /hoks: the answer %d has no meta.id", status)
			}
			return *created.Meta.ID, nil
		case status >= 500:
			last, ambiguous, after = parseError(http.MethodPost, "/hoks", status, data), true, ans.retryAfter
			continue
		case status == http.StatusTooManyRequests:
			// Refused before eHOKS looked at it: not ambiguous.
			last, after = parseError(http.MethodPost, "/hoks", status, data), ans.retryAfter
			continue
		}
		ae := parseError(http.MethodPost, "/hoks", status, data)
		if ambiguous && errors.Is(ae, ErrExists) && p.StudyRightOID != nil {
			// An earlier attempt's POST may be what exists now.
			if id, found, err := c.adopt(ctx, p); err != nil || found {
				return id, err
			}
		}
		return 0, ae
	}
	return 0, last
}

// adopt reads the study right's HOKS after an ambiguous POST: found with
// its id when it does not differ from p, ErrExists when it differs,
// not found when there is none.
func (c *Client) adopt(ctx context.Context, p *hoks.Plan) (int64, bool, error) {
	got, err := c.GetByStudyRight(ctx, *p.StudyRightOID)
	switch {
	case errors.Is(err, ErrNotFound):
		return 0, false, nil
	case err != nil:
		return 0, false, err
	case got.ID == nil:
		return 0, false, errors.New("ehoks: the study right's HOKS has no id")
	}
	a, err := Normalize(p)
	if err != nil {
		return 0, false, err
	}
	b, err := Normalize(got)
	if err != nil {
		return 0, false, err
	}
	if len(hoks.Diff(a, b)) > 0 {
		return 0, false, &APIError{Method: http.MethodPost, Route: "/hoks", Status: http.StatusBadRequest,
			Message:  "HOKS with the same opiskeluoikeus-oid already exists (a different one)",
			Problems: []coaching.FieldProblem{{Field: "opiskeluoikeus-oid", Message: "eHOKS holds a different HOKS for this study right"}}}
	}
	return *got.ID, true, nil
}

// Get reads the HOKS with eHOKS id id (GET /hoks/:id). The plan carries
// eHOKS's read-only members (id, eid, manuaalisyotto, the parts' ids and
// module-ids); members this package does not model are kept in its Extra
// fields. No such HOKS is [ErrNotFound].
func (c *Client) Get(ctx context.Context, id int64) (*hoks.Plan, error) {
	return c.get(ctx, "/"+strconv.FormatInt(id, 10), "/hoks/:id")
}

// GetByStudyRight reads the HOKS of a KOSKI study right
// (GET /hoks/opiskeluoikeus/:oid). None is [ErrNotFound].
func (c *Client) GetByStudyRight(ctx context.Context, studyRightOID string) (*hoks.Plan, error) {
	if !hoks.ValidStudyRightOID(studyRightOID) {
		return nil, &coaching.ValidationError{Subject: "study right", Problems: []coaching.FieldProblem{{Field: "opiskeluoikeus-oid", Message: "is not a valid study-right OID"}}}
	}
	return c.get(ctx, "/opiskeluoikeus/"+url.PathEscape(studyRightOID), "/hoks/opiskeluoikeus/:oid")
}

func (c *Client) get(ctx context.Context, path, route string) (*hoks.Plan, error) {
	data, err := c.retry(ctx, http.MethodGet, path, route, nil, http.StatusOK)
	if err != nil {
		return nil, err
	}
	var env struct {
		Data json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(data, &env); err != nil || len(env.Data) == 0 {
		return nil, fmt.Errorf("ehoks: GET %s: the answer has no data", route)
	}
	p, err := hoks.Decode(env.Data, &hoks.DecodeOptions{KeepUnknown: true})
	if err != nil {
		return nil, fmt.Errorf("ehoks: GET %s: %w", route, err)
	}
	return p, nil
}

// Put replaces the HOKS with eHOKS id id by p (PUT /hoks/:id, schema
// HOKSKorvaus). eHOKS empties the top-level members p leaves out and
// deletes and re-adds every part, so the parts get new ids and module-ids
// (only yksiloiva-tunniste stays); the body carries no read-only members
// and no part ids. The study right and learner cannot change (a 400).
// Repeating a Put is harmless, so it is retried like a read.
func (c *Client) Put(ctx context.Context, id int64, p *hoks.Plan) error {
	return c.change(ctx, http.MethodPut, id, p)
}

// Patch changes the top-level values of the HOKS with eHOKS id id to
// those set in p (PATCH /hoks/:id, schema HOKSPaivitys); the members p
// leaves unset keep their values. eHOKS's PATCH cannot change the lists of
// parts, so p must have none (nil, not empty): use [Client.Put] for them.
func (c *Client) Patch(ctx context.Context, id int64, p *hoks.Plan) error {
	return c.change(ctx, http.MethodPatch, id, p)
}

// change sends a PUT or PATCH, which eHOKS answers 204.
func (c *Client) change(ctx context.Context, method string, id int64, p *hoks.Plan) error {
	body, err := requestBody(p, method, id)
	if err != nil {
		return err
	}
	_, err = c.retry(ctx, method, "/"+strconv.FormatInt(id, 10), "/hoks/:id", body, http.StatusNoContent)
	return err
}

// retry sends an idempotent request until it gets want, a 4xx other than
// 429 or the attempts run out.
func (c *Client) retry(ctx context.Context, method, path, route string, body []byte, want int) ([]byte, error) {
	var last error
	var after time.Duration // eHOKS's Retry-After
	for attempt := 1; attempt <= c.attempts; attempt++ {
		if attempt > 1 {
			if err := c.wait(ctx, attempt-1, after); err != nil {
				return nil, err
			}
		}
		after = 0
		ans, err := c.call(ctx, method, path, route, body)
		switch {
		case err != nil:
			if !retryable(err) {
				return nil, err
			}
			last = err
		case ans.status == want:
			return ans.data, nil
		case ans.status >= 500 || ans.status == http.StatusTooManyRequests:
			last, after = parseError(method, route, ans.status, ans.data), ans.retryAfter
		default:
			return nil, parseError(method, route, ans.status, ans.data)
		}
	}
	return nil, last
}

// retryable reports whether a failure of call may pass: a transport
// failure or a 5xx or 429 from CAS. A done context never is.
func retryable(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var ce *casError
	if errors.As(err, &ce) {
		return ce.retryable()
	}
	var te *transportError
	return errors.As(err, &te)
}

// transportError is a failed exchange with eHOKS (no answer).
type transportError struct {
	method, route string
	err           error
}

func (e *transportError) Error() string {
	return fmt.Sprintf("ehoks: %s %s: %v", e.method, e.route, e.err)
}
func (e *transportError) Unwrap() error { return e.err }

// wait sleeps before retry n (1, 2, …): half of BaseBackoff·2ⁿ⁻¹ fixed and
// half random, or after (eHOKS's Retry-After) when that is longer, capped
// at MaxBackoff. A ctx done first ends the wait with its error.
func (c *Client) wait(ctx context.Context, n int, after time.Duration) error {
	d := c.base << min(n-1, 30)
	if d > c.max || d <= 0 {
		d = c.max
	}
	d = d/2 + rand.N(d/2+1)
	d = min(max(d, after), c.max)
	if err := c.sleep(ctx, d); err != nil {
		return fmt.Errorf("ehoks: waiting to try again: %w", err)
	}
	return nil
}

// answer is eHOKS's answer to one request.
type answer struct {
	status     int
	data       []byte
	retryAfter time.Duration // from the Retry-After of a 429 or 503; 0 if none
}

// call makes one exchange: a fresh service ticket, the request, and when
// eHOKS answers 401 (a ticket it does not accept) a second ticket under a
// renewed TGT and the request again. A second 401, a 403, or CAS refusing
// the credentials is [ErrUnauthorized], marked [coaching.Misconfigured].
// It returns any answer; the error is for no answer.
func (c *Client) call(ctx context.Context, method, path, route string, body []byte) (answer, error) {
	for renew := false; ; renew = true {
		st, err := c.cas.serviceTicket(ctx, c.service, renew)
		if err != nil {
			var ce *casError
			if errors.As(err, &ce) && !ce.retryable() && (ce.status == http.StatusUnauthorized || ce.status == http.StatusForbidden ||
				(ce.status >= 400 && ce.status < 500 && ce.step == "ticket-granting ticket")) {
				return answer{}, misconfigured(fmt.Errorf("%w: %w", ErrUnauthorized, err))
			}
			return answer{}, err
		}
		ans, err := c.send(ctx, method, path, route, body, st)
		if err != nil {
			return answer{}, err
		}
		switch {
		case ans.status == http.StatusUnauthorized && !renew:
			continue
		case ans.status == http.StatusUnauthorized || ans.status == http.StatusForbidden:
			return answer{}, misconfigured(parseError(method, route, ans.status, ans.data))
		}
		return ans, nil
	}
}

// retryAfter reads a Retry-After header: delay-seconds or an HTTP date
// (RFC 9110 §10.2.3). It is 0 when the header is absent or unreadable or
// the date has passed.
func retryAfter(h string, now time.Time) time.Duration {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0
	}
	if n, err := strconv.ParseUint(h, 10, 63); err == nil || errors.Is(err, strconv.ErrRange) {
		// Over a day is as good as forever: the wait is capped anyway.
		return time.Duration(min(n, 86400)) * time.Second
	}
	if t, err := http.ParseTime(h); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

func (c *Client) send(ctx context.Context, method, path, route string, body []byte, ticket string) (answer, error) {
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.api+path, r)
	if err != nil {
		return answer{}, fmt.Errorf("ehoks: %s %s: %w", method, route, bareError(err))
	}
	req.Header.Set("ticket", ticket)
	req.Header.Set("caller-id", c.callerID)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		err = bareError(err)
		if ctx.Err() != nil {
			return answer{}, fmt.Errorf("ehoks: %s %s: %w", method, route, ctx.Err())
		}
		return answer{}, &transportError{method: method, route: route, err: err}
	}
	defer drain(resp.Body)
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse+1))
	if err != nil {
		return answer{}, &transportError{method: method, route: route, err: bareError(err)}
	}
	if len(data) > maxResponse {
		return answer{}, fmt.Errorf("ehoks: %s %s: the answer is over %d bytes", method, route, maxResponse)
	}
	ans := answer{status: resp.StatusCode, data: data}
	if ans.status == http.StatusTooManyRequests || ans.status == http.StatusServiceUnavailable {
		ans.retryAfter = retryAfter(resp.Header.Get("Retry-After"), c.now())
	}
	return ans, nil
}
