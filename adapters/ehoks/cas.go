package ehoks

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// cas gets CAS service tickets the way Opintopolku's own clients do
// (eHOKS's external/cas.clj): a ticket-granting ticket (TGT) from
// POST <cas>/v1/tickets with the service user's credentials, answered 201
// with the TGT's URL in Location, then one service ticket (ST) per request
// from POST <TGT URL> with the service, answered 200 with "ST-…" as the
// body. Service tickets are single-use (CAS validates and consumes one per
// request), so only the TGT is cached, until its lifetime ends or CAS
// answers 404 or 401 for it (CAS forgot it, e.g. after a restart).
//
// The password, the TGT (its URL holds it) and the STs are bearer
// credentials: they never appear in an error or a log line.
type cas struct {
	base     string // e.g. https://virkailija.opintopolku.fi/cas
	username string
	password string
	http     *http.Client
	now      func() time.Time
	lifetime time.Duration

	// turn is held (a value sent into it) by the one request that reads or
	// replaces the TGT: a second TGT request while one is on the way
	// would only make CAS grant two. It is a channel, not a mutex, so a
	// request waiting for its turn gives up when its context is done
	// rather than when the request ahead of it gets an answer.
	turn    chan struct{}
	tgt     string // the TGT's URL; "" when none; guarded by turn
	expires time.Time
}

// newCAS returns a cas with no TGT yet.
func newCAS(base, username, password string, hc *http.Client, now func() time.Time, lifetime time.Duration) *cas {
	return &cas{base: base, username: username, password: password, http: hc, now: now, lifetime: lifetime,
		turn: make(chan struct{}, 1)}
}

// casError is a CAS failure. Status is the HTTP status (0 for a transport
// failure); the message never holds a credential.
type casError struct {
	step   string // "ticket-granting ticket" or "service ticket"
	status int
	err    error // a transport error with its URL removed, or nil
}

func (e *casError) Error() string {
	if e.err != nil {
		return fmt.Sprintf("ehoks: CAS %s request failed: %v", e.step, e.err)
	}
	return fmt.Sprintf("ehoks: CAS refused the %s request: %d %s", e.step, e.status, http.StatusText(e.status))
}

func (e *casError) Unwrap() error { return e.err }

// retryable reports whether a later attempt may succeed: transport
// failures, 5xx answers and 429 Too Many Requests.
func (e *casError) retryable() bool {
	return e.status == 0 || e.status >= 500 || e.status == http.StatusTooManyRequests
}

// serviceTicket returns a fresh ST for service. With renew it first
// replaces the cached TGT (after the target refused an ST with 401). When
// CAS answers 404 or 401 for the cached TGT, the TGT is replaced and the ST
// requested once more.
func (c *cas) serviceTicket(ctx context.Context, service string, renew bool) (string, error) {
	tgt, err := c.grantingTicket(ctx, renew, "")
	if err != nil {
		return "", err
	}
	st, status, err := c.requestST(ctx, tgt, service)
	if err == nil {
		return st, nil
	}
	if status != http.StatusNotFound && status != http.StatusUnauthorized {
		return "", err
	}
	if tgt, err = c.grantingTicket(ctx, true, tgt); err != nil {
		return "", err
	}
	st, _, err = c.requestST(ctx, tgt, service)
	return st, err
}

// grantingTicket returns the cached TGT, or a new one when there is none,
// it has expired, or renew is set. With stale set, only a TGT equal to
// stale is replaced: when another request already renewed it, that one is
// used. Requests take turns; one whose ctx is done while it waits for its
// turn returns ctx's error at once.
func (c *cas) grantingTicket(ctx context.Context, renew bool, stale string) (string, error) {
	select {
	case c.turn <- struct{}{}:
	case <-ctx.Done():
		return "", &casError{step: "ticket-granting ticket", err: ctx.Err()}
	}
	defer func() { <-c.turn }()
	now := c.now()
	if c.tgt != "" && now.Before(c.expires) && (!renew || (stale != "" && c.tgt != stale)) {
		return c.tgt, nil
	}
	c.tgt = ""
	form := url.Values{"username": {c.username}, "password": {c.password}}
	resp, err := c.post(ctx, c.base+"/v1/tickets", form)
	if err != nil {
		return "", &casError{step: "ticket-granting ticket", err: err}
	}
	defer drain(resp.Body)
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusCreated || loc == "" {
		return "", &casError{step: "ticket-granting ticket", status: resp.StatusCode}
	}
	u, err := resp.Request.URL.Parse(loc)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") {
		return "", &casError{step: "ticket-granting ticket", err: errors.New("CAS answered with an unusable ticket-granting ticket location")}
	}
	c.tgt, c.expires = u.String(), now.Add(c.lifetime)
	return c.tgt, nil
}

// requestST asks CAS for an ST. It returns the HTTP status with the error.
func (c *cas) requestST(ctx context.Context, tgt, service string) (string, int, error) {
	resp, err := c.post(ctx, tgt, url.Values{"service": {service}})
	if err != nil {
		return "", 0, &casError{step: "service ticket", err: err}
	}
	defer drain(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return "", resp.StatusCode, &casError{step: "service ticket", status: resp.StatusCode}
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	if err != nil {
		return "", 0, &casError{step: "service ticket", err: bareError(err)}
	}
	st := strings.TrimSpace(string(b))
	if !strings.HasPrefix(st, "ST-") || strings.ContainsAny(st, " \t\r\n<") {
		return "", resp.StatusCode, &casError{step: "service ticket", err: errors.New("CAS answered 200 without a service ticket")}
	}
	return st, resp.StatusCode, nil
}

// post sends a form without following redirects (the client's
// CheckRedirect refuses them), so credentials never go to another URL.
func (c *cas) post(ctx context.Context, target string, form url.Values) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, errors.New("invalid CAS URL")
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "text/plain")
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, bareError(err)
	}
	return resp, nil
}

// bareError strips the URL from a transport error: a TGT URL is a
// credential. A cancelled or expired context stays matchable.
func bareError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// drain reads a little of a body and closes it, so the connection can be
// reused.
func drain(body io.ReadCloser) {
	_, _ = io.Copy(io.Discard, io.LimitReader(body, 64<<10))
	_ = body.Close()
}
