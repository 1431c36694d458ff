package browsertest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// Options configure a [Session]. The zero value is valid.
type Options struct {
	// StepTimeout bounds each step (a navigation, a click, a query that
	// waits for its element). Default 30 s.
	StepTimeout time.Duration
	// ScreenshotDir is where [Session.Screenshot] writes; it is created
	// if missing. Default: a directory of the test's t.TempDir, removed
	// with it.
	ScreenshotDir string
	// NoJavaScript switches the page's scripts off in this session, to
	// prove that a page's actions work as plain links and form posts.
	NoJavaScript bool
}

const defaultStepTimeout = 30 * time.Second

// Session is one person at the browser: a tab in a browser context of
// its own, so its cookies and storage are not shared with any other
// session. Its methods fail the test the session was made for (they call
// t.Fatalf), so use it from that test's goroutine only; a subtest makes
// its own session.
type Session struct {
	t      testing.TB
	ctx    context.Context // the tab
	opts   Options
	status int // of the last navigation; 0 before the first
}

// NewSession opens a tab in a new browser context; the tab and the
// context are closed when the test ends. opts may be nil.
func (b *Browser) NewSession(t testing.TB, opts *Options) *Session {
	t.Helper()
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.StepTimeout <= 0 {
		o.StepTimeout = defaultStepTimeout
	}
	if o.ScreenshotDir == "" {
		o.ScreenshotDir = filepath.Join(t.TempDir(), "screenshots")
	}
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	s := &Session{t: t, ctx: ctx, opts: o}
	// The first Do opens the tab and binds it to its context, so, as for
	// the browser's start, a timer bounds it instead of a deadline.
	done := make(chan error, 1)
	go func() { done <- chromedp.Do(ctx) }()
	timer := time.NewTimer(o.StepTimeout)
	defer timer.Stop()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("browsertest: opening a tab: %v", err)
		}
	case <-timer.C:
		cancel()
		t.Fatalf("browsertest: opening a tab: no answer in %v", o.StepTimeout)
	}
	if o.NoJavaScript {
		ctx, cancel := context.WithTimeout(s.ctx, o.StepTimeout)
		defer cancel()
		if err := setScriptsDisabled(ctx, true); err != nil {
			t.Fatalf("browsertest: switching JavaScript off: %v", err)
		}
	}
	return s
}

// Context returns the tab's chromedp context, for steps the helpers do
// not cover. Give each such step a deadline derived from it: a step
// without one can wait for ever.
func (s *Session) Context() context.Context { return s.ctx }

// Do runs chromedp steps with the session's step timeout, failing the
// test with what (e.g. "marking attendance") if one fails.
func (s *Session) Do(what string, steps ...chromedp.Action[chromedp.Void]) {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(s.ctx, s.opts.StepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		s.t.Fatalf("browsertest: %s: %v", what, err)
	}
}

// Load runs the steps, waits until the page they load has loaded,
// records its HTTP status (see [Session.Status]) and returns it. A step
// that loads no page makes Load fail at the step timeout.
func (s *Session) Load(what string, steps ...chromedp.Action[chromedp.Void]) int {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(s.ctx, s.opts.StepTimeout)
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, steps...)
	if err != nil {
		s.t.Fatalf("browsertest: %s: %v", what, err)
		return 0
	}
	if resp == nil {
		// A navigation within the document (a fragment) has no response.
		s.t.Fatalf("browsertest: %s: the page changed without loading a document", what)
		return 0
	}
	s.status = int(resp.Status)
	return s.status
}

// Navigate loads rawURL and returns its HTTP status. A 4xx or 5xx page is
// loaded like any other; check the status.
func (s *Session) Navigate(rawURL string) int {
	s.t.Helper()
	return s.Load("navigating to "+pathOf(rawURL), chromedp.Navigate(rawURL))
}

// Status returns the HTTP status of the page the last [Session.Navigate],
// [Session.Submit] or [Session.Load] loaded (after redirects: the final
// page's), or 0 before any.
func (s *Session) Status() int { return s.status }

// Click clicks the first element the CSS selector matches, once it is
// visible, with the mouse, as a person does. It does not wait for a page
// to load: use [Session.Submit] for a click that loads one.
func (s *Session) Click(sel string) {
	s.t.Helper()
	s.Do("clicking "+sel, chromedp.Click(chromedp.CSS(sel)))
}

// Submit clicks the element the CSS selector matches (a submit button or
// a link), waits until the page it loads has loaded and returns that
// page's HTTP status. It clicks rather than calling form.submit(), so
// the browser sends the button's name and value and applies the form's
// constraint validation as for a person (a form that fails it loads
// nothing, and Submit fails at the step timeout).
func (s *Session) Submit(sel string) int {
	s.t.Helper()
	return s.Load("submitting with "+sel, chromedp.Click(chromedp.CSS(sel)))
}

// Fill empties the input or textarea the CSS selector matches (whatever
// the server or an earlier Fill put there) and types value into it.
func (s *Session) Fill(sel, value string) {
	s.t.Helper()
	s.Do("filling "+sel, chromedp.WaitVisible(chromedp.CSS(sel)), emptyValue(sel), chromedp.SendKeys(chromedp.CSS(sel), value))
}

// emptyValue sets the value of the first element sel matches to "". Not
// chromedp.SetValue(sel, ""): v0.23.1 passes the empty string to the page
// as undefined, and the field then holds "undefined".
func emptyValue(sel string) chromedp.Action[chromedp.Void] {
	q, err := json.Marshal(sel)
	js := fmt.Sprintf(`(() => {
		const e = document.querySelector(%s);
		if (!e || !('value' in e)) return false;
		e.value = '';
		return true;
	})()`, q)
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		if err != nil {
			return chromedp.Void{}, err
		}
		ok, err := chromedp.Evaluate[bool](js)(ctx, t)
		if err == nil && !ok {
			err = fmt.Errorf("no element with a value matches %s", sel)
		}
		return chromedp.Void{}, err
	}
}

// SendKeys types keys into the element the CSS selector matches, after
// what it holds ("\t" is the Tab key, "\n" Enter; see chromedp/kb).
func (s *Session) SendKeys(sel, keys string) {
	s.t.Helper()
	s.Do("typing into "+sel, chromedp.SendKeys(chromedp.CSS(sel), keys))
}

// Text returns the visible text (innerText) of the first element the CSS
// selector matches, waiting up to the step timeout for it to exist.
func (s *Session) Text(sel string) string {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(s.ctx, s.opts.StepTimeout)
	defer cancel()
	text, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		s.t.Fatalf("browsertest: reading the text of %s: %v", sel, err)
	}
	return text
}

// Attribute returns the named attribute of the first element the CSS
// selector matches, and whether the element has it, waiting up to the
// step timeout for the element to exist.
func (s *Session) Attribute(sel, name string) (string, bool) {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(s.ctx, s.opts.StepTimeout)
	defer cancel()
	r, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS(sel), name))
	if err != nil {
		s.t.Fatalf("browsertest: reading the attribute %s of %s: %v", name, sel, err)
	}
	return r.Value, r.Exists
}

// Count returns how many elements the CSS selector matches now, without
// waiting for any: the way to check that something is absent.
func (s *Session) Count(sel string) int {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(s.ctx, s.opts.StepTimeout)
	defer cancel()
	nodes, err := chromedp.Run(ctx, chromedp.Nodes(chromedp.CSSAll(sel), chromedp.AtLeast(0)))
	if err != nil {
		s.t.Fatalf("browsertest: counting %s: %v", sel, err)
	}
	return len(nodes)
}

// URL returns the address of the page the tab shows.
func (s *Session) URL() string {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(s.ctx, s.opts.StepTimeout)
	defer cancel()
	u, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		s.t.Fatalf("browsertest: reading the location: %v", err)
	}
	return u
}

// Screenshot writes a PNG of the whole page (not only the window) to
// ScreenshotDir/name.png and returns the file's path. name is a file
// name without a directory; ".png" is added if missing.
func (s *Session) Screenshot(name string) string {
	s.t.Helper()
	name = strings.TrimSuffix(name, ".png")
	if name == "" || name == "." || name == ".." || strings.ContainsAny(name, `/\`) {
		s.t.Fatalf("browsertest: screenshot name %q: want a file name without a directory", name)
		return ""
	}
	ctx, cancel := context.WithTimeout(s.ctx, s.opts.StepTimeout)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // 100: PNG, not JPEG
	if err != nil {
		s.t.Fatalf("browsertest: taking the screenshot %s: %v", name, err)

		return ""
	}
	if err := os.MkdirAll(s.opts.ScreenshotDir, 0o755); err != nil {
		s.t.Fatalf("browsertest: %v", err)

		return ""
	}
	path := filepath.Join(s.opts.ScreenshotDir, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		s.t.Fatalf("browsertest: %v", err)
	}
	return path
}

// pathOf is rawURL without its query and fragment, for messages: a
// test's query string can carry what a page is filtered by.
func pathOf(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "(an unparsable URL)"
	}
	u.RawQuery, u.Fragment = "", ""
	return u.String()
}

// setScriptsDisabled switches the scripts of the tab's pages off or on;
// the switch holds for the pages the tab loads later.
func setScriptsDisabled(ctx context.Context, disabled bool) error {
	_, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: disabled})
	return err
}
