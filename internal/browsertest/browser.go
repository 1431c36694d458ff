package browsertest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// The environment variables the package reads.
const (
	// EnvChromium names the Chromium binary; without it, chromium on PATH.
	EnvChromium = "VALMENNUS_CHROMIUM"
	// EnvAxe is the absolute path of axe-core's axe.min.js.
	EnvAxe = "VALMENNUS_AXE"
	// EnvRequire=1 (or CI=true) turns a missing browser or axe from a
	// skip into a failure.
	EnvRequire = "VALMENNUS_REQUIRE_BROWSER"
)

// startTimeout bounds the browser's start: a cold start takes 5 s here
// and more on a busy CI runner, but never minutes.
const startTimeout = 2 * time.Minute

// Browser is the test binary's headless Chromium. It is safe for
// concurrent use: each [Session] has a tab of its own.
type Browser struct {
	ctx         context.Context // the first tab's chromedp context: the browser lives as long as it
	cancel      context.CancelFunc
	cancelAlloc context.CancelFunc
}

// shared is the one browser of the test binary, started by the first
// Start and closed by Main. A package-level value because a browser
// takes seconds to start and every test in the binary uses the same one.
var shared struct {
	once sync.Once
	b    *Browser
	err  error
	// missing says why the browser cannot start at all (no binary): a
	// skip locally, a failure under CI.
	missing string
}

// tb is the part of testing.TB the availability rules use, so that the
// package can test them with a recorder.
type tb interface {
	Helper()
	Skipf(format string, args ...any)
	Fatalf(format string, args ...any)
}

// Start returns the test binary's browser, starting it on the first call.
// When there is no Chromium, it skips the test, or fails it when CI=true
// or VALMENNUS_REQUIRE_BROWSER=1. When Chromium is there but does not
// start, it fails the test. Call [Main] from TestMain to close the
// browser when the tests end.
func Start(t testing.TB) *Browser {
	t.Helper()
	shared.once.Do(func() {
		path, missing, err := chromiumPath()
		switch {
		case err != nil:
			shared.err = err
		case missing != "":
			shared.missing = missing
		default:
			shared.b, shared.err = start(path)
		}
	})
	if shared.missing != "" {
		unavailable(t, "%s", shared.missing)
		return nil
	}
	if shared.err != nil {
		t.Fatalf("browsertest: %v", shared.err)
		return nil
	}
	return shared.b
}

// Main runs the tests, closes the browser if a test started it, and exits
// with the tests' code. Use it as the package's TestMain; without it the
// browser dies with the test binary but leaves its profile directory in
// the temporary directory.
func Main(m *testing.M) {
	code := m.Run()
	if shared.b != nil {
		shared.b.close()
	}
	os.Exit(code)
}

// required reports whether a missing browser or axe must fail the tests.
func required() bool {
	ci, _ := strconv.ParseBool(os.Getenv("CI"))
	return ci || os.Getenv(EnvRequire) == "1"
}

// unavailable skips the test, or fails it under CI=true or
// VALMENNUS_REQUIRE_BROWSER=1, with a message that says why and what to
// set.
func unavailable(t tb, format string, args ...any) {
	t.Helper()
	why := fmt.Sprintf(format, args...)
	if required() {
		t.Fatalf("browsertest: %s; CI=true or %s=1 makes the browser tests required", why, EnvRequire)
		return
	}
	t.Skipf("browsertest: %s (the browser tests skip; CI runs them)", why)
}

// chromiumPath finds the browser: VALMENNUS_CHROMIUM if set (an error if
// it is not an executable), else chromium on PATH; missing says that
// neither is there.
func chromiumPath() (path, missing string, err error) {
	if p := os.Getenv(EnvChromium); p != "" {
		if _, err := exec.LookPath(p); err != nil {
			return "", "", fmt.Errorf("%s=%q is not an executable: %w", EnvChromium, p, err)
		}
		return p, "", nil
	}
	p, err := exec.LookPath("chromium")
	if err != nil {
		return "", "no chromium on PATH and " + EnvChromium + " is not set (Debian: apt-get install chromium)", nil
	}
	return p, "", nil
}

// start starts Chromium headless and opens its first tab, which keeps the
// browser alive until close.
func start(path string) (*Browser, error) {
	out := &tailBuffer{max: 8 << 10}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		// Root in a container: Chromium refuses to start with the sandbox.
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.WindowSize(1280, 800),
		// No network but the tests' own servers.
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-quic", true),
		chromedp.CombinedOutput(out),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	// The first Do starts the browser and binds it to its context, so it
	// gets no timeout of its own; the timer cancels it instead.
	done := make(chan error, 1)
	go func() { done <- chromedp.Do(ctx) }()
	timer := time.NewTimer(startTimeout)
	defer timer.Stop()
	var err error
	select {
	case err = <-done:
	case <-timer.C:
		err = fmt.Errorf("no answer in %v", startTimeout)
	}
	if err != nil {
		cancel()
		cancelAlloc()
		return nil, fmt.Errorf("starting %s: %w; its output ends with:\n%s", path, err, out.String())
	}
	return &Browser{ctx: ctx, cancel: cancel, cancelAlloc: cancelAlloc}, nil
}

// close closes the browser and removes its profile directory.
func (b *Browser) close() {
	tctx, tcancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer tcancel()
	if err := chromedp.Cancel(tctx); err != nil && !errors.Is(err, context.Canceled) {
		fmt.Fprintf(os.Stderr, "browsertest: closing the browser: %v\n", err)
	}
	b.cancel()
	b.cancelAlloc()
}

// tailBuffer keeps the last max bytes written to it: the browser's output,
// for the error when it does not start. Chromium writes to it from the
// process's copying goroutine.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf bytes.Buffer
}

func (w *tailBuffer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if extra := w.buf.Len() - w.max; extra > 0 {
		w.buf.Next(extra)
	}
	return len(p), nil
}

func (w *tailBuffer) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}
