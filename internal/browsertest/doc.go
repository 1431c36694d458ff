// Package browsertest drives a headless Chromium for the tests of the web
// interface: one browser per test binary, a session (its own tab and its
// own cookies) per person in a test, steps with timeouts, full-page
// screenshots, and axe-core's WCAG 2.1 A/AA rules run in the page.
//
// It is internal test support: only _test.go files import it, so the
// library's users never build chromedp.
//
// # Getting started
//
//	func TestMain(m *testing.M) { browsertest.Main(m) } // closes the browser at the end
//
//	func TestCaseload(t *testing.T) {
//		s := browsertest.Start(t).NewSession(t, nil)
//		s.Navigate(srv.URL + "/caseload")
//		s.Fill("#q", "overdue")
//		if status := s.Submit("#search button[type=submit]"); status != 200 {
//			t.Fatalf("status %d", status)
//		}
//		s.RequireNoViolations()
//		s.Screenshot("caseload")
//	}
//
// # What it needs
//
// Chromium: VALMENNUS_CHROMIUM names the binary, else chromium on PATH
// (Debian's package: /usr/bin/chromium). axe-core: VALMENNUS_AXE is the
// absolute path of axe.min.js (.ci/run fetches axe-core 4.14.1 with npm
// and checks its SHA-256). Without them the tests that need them skip,
// unless CI=true or VALMENNUS_REQUIRE_BROWSER=1: then they fail, so that
// CI cannot pass without having run them. A missing axe only stops the
// test at its first [Session.Axe], so the rest of a test runs without it.
//
// Chromium runs as root in CI containers, which it refuses without
// --no-sandbox; the sandbox is therefore off, and the browser must only
// load the tests' own pages.
//
// # JavaScript
//
// The web interface's actions must work as plain form posts. A session
// with [Options.NoJavaScript] has the page's scripts switched off
// (Emulation.setScriptExecutionDisabled, as the DevTools setting does);
// the harness's own steps and axe still run, through the DevTools
// protocol, which neither that switch nor the page's Content Security
// Policy governs.
package browsertest
