package browsertest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/chromedp/chromedp"
)

// Violation is one axe-core rule the page breaks.
type Violation struct {
	ID      string          `json:"id"`     // the rule, e.g. "label", "color-contrast"
	Impact  string          `json:"impact"` // minor, moderate, serious or critical
	Help    string          `json:"help"`   // the rule in one sentence
	HelpURL string          `json:"helpUrl"`
	Nodes   []ViolationNode `json:"nodes"`
}

// ViolationNode is one element that breaks the rule. It holds no markup
// of the element (axe's "html"), which can carry the page's data.
type ViolationNode struct {
	// Target is the element's selector; one entry per shadow root or
	// frame on the way to it.
	Target []string `json:"target"`
}

// axeRun runs the rules tagged WCAG 2.0 and 2.1, levels A and AA, which
// Act 306/2019 requires of Finnish public-sector services.
const axeRun = `(async () => {
	const r = await axe.run(document, {
		runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']},
		resultTypes: ['violations'],
	});
	return r.violations.map(v => ({
		id: v.id, impact: v.impact || '', help: v.help, helpUrl: v.helpUrl,
		nodes: v.nodes.map(n => ({target: n.target.map(t => Array.isArray(t) ? t.join(' >>> ') : String(t))})),
	}));
})()`

// axeSource is axe.min.js, read once per test binary.
var axeSource struct {
	once    sync.Once
	src     string
	err     error
	missing string
}

func loadAxe() {
	axeSource.src, axeSource.missing, axeSource.err = readAxe(os.Getenv(EnvAxe))
}

// readAxe reads axe.min.js from path, the value of VALMENNUS_AXE; missing
// says that it is not set, err that it is set but unusable.
func readAxe(path string) (src, missing string, err error) {
	if path == "" {
		return "", EnvAxe + " is not set (the path of axe-core's axe.min.js; .ci/run shows how to fetch it)", nil
	}
	if !filepath.IsAbs(path) {
		return "", "", fmt.Errorf("%s=%q: want an absolute path (tests run in their package's directory)", EnvAxe, path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", "", fmt.Errorf("%s: %w", EnvAxe, err)
	}
	// axe.min.js starts with its licence header, "/*! axe v4.14.1 ...".
	if !strings.Contains(string(b[:min(len(b), 512)]), "axe v") {
		return "", "", fmt.Errorf("%s=%q does not start like axe-core's axe.min.js", EnvAxe, path)
	}
	return string(b), "", nil
}

// Axe runs axe-core's WCAG 2.1 A and AA rules on the page the tab shows
// and returns the rules it breaks (none: an empty slice). It injects axe
// into the page first, once per loaded document, through the DevTools
// protocol, which the page's Content Security Policy does not govern.
// When VALMENNUS_AXE is not set, it skips the test, or fails it under
// CI=true or VALMENNUS_REQUIRE_BROWSER=1.
func (s *Session) Axe() []Violation {
	s.t.Helper()
	axeSource.once.Do(loadAxe)
	if axeSource.missing != "" {
		unavailable(s.t, "%s", axeSource.missing)
		return nil
	}
	if axeSource.err != nil {
		s.t.Fatalf("browsertest: %v", axeSource.err)
		return nil
	}
	ctx, cancel := context.WithTimeout(s.ctx, s.opts.StepTimeout)
	defer cancel()
	if s.opts.NoJavaScript {
		// axe waits on timers and promises, which run only while scripts
		// may. The page's own scripts were blocked as it loaded and do
		// not run later, so lifting the switch for the run is safe.
		if err := setScriptsDisabled(ctx, false); err != nil {
			s.t.Fatalf("browsertest: switching JavaScript on for axe: %v", err)
		}
		defer func() {
			// A deferred call may run while the test is already failing,
			// so it reports with Errorf, not Fatalf.
			rctx, rcancel := context.WithTimeout(s.ctx, s.opts.StepTimeout)
			defer rcancel()
			if err := setScriptsDisabled(rctx, true); err != nil {
				s.t.Errorf("browsertest: switching JavaScript off again after axe: %v", err)
			}
		}()
	}
	loaded, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`typeof window.axe === 'object'`))
	if err != nil {
		s.t.Fatalf("browsertest: looking for axe in the page: %v", err)
	}
	if !loaded {
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](axeSource.src)); err != nil {
			s.t.Fatalf("browsertest: injecting axe: %v", err)
		}
	}
	vs, err := chromedp.Run(ctx, chromedp.Evaluate[[]Violation](axeRun, chromedp.EvalAwaitPromise))
	if err != nil {
		s.t.Fatalf("browsertest: running axe: %v", err)
	}
	if vs == nil {
		vs = []Violation{}
	}
	return vs
}

// RequireNoViolations runs [Session.Axe] and fails the test with each
// violation's rule, impact, help and elements if there is any.
func (s *Session) RequireNoViolations() {
	s.t.Helper()
	vs := s.Axe()
	if len(vs) == 0 {
		return
	}
	var b strings.Builder
	fmt.Fprintf(&b, "browsertest: %d accessibility violations (WCAG 2.1 A/AA, axe-core) on %s:", len(vs), pathOf(s.URL()))
	for _, v := range vs {
		fmt.Fprintf(&b, "\n  %s (%s): %s <%s>", v.ID, v.Impact, v.Help, v.HelpURL)
		for _, n := range v.Nodes {
			fmt.Fprintf(&b, "\n    %s", strings.Join(n.Target, " | "))
		}
	}
	s.t.Fatal(b.String())
}
