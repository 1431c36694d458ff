package browsertest

import (
	"context"
	"os"
	"path/filepath"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
)

// Download is a file the browser saved.
type Download struct {
	// Name is the file name the server suggested (its
	// Content-Disposition), or the one the browser made up from the URL.
	Name string
	// URL is the address the file came from.
	URL string
	// Content is the file's bytes as saved.
	Content []byte
}

// Download clicks the element the CSS selector matches (a link or a
// button whose answer is a file to save, an attachment), waits until the
// browser has saved the file, and returns it. The session's browser
// context saves downloads into a directory of the test's t.TempDir, each
// under the download's id, so that two files of the same name do not
// collide. A download the browser cancels, or that does not end within
// the step timeout, fails the test.
func (s *Session) Download(sel string) Download {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(s.ctx, s.opts.StepTimeout)
	defer cancel()
	dir := s.t.TempDir()
	events := true
	params := browser.SetDownloadBehaviorParams{Behavior: browser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: dir,
		EventsEnabled: &events}
	if c := chromedp.FromContext(s.ctx); c != nil {
		params.BrowserContextID = c.BrowserContextID
	}
	if _, err := chromedp.CallBrowser(ctx, browser.SetDownloadBehavior, params); err != nil {
		s.t.Fatalf("browsertest: allowing downloads: %v", err)
		return Download{}
	}
	// The listener must not block (see chromedp.Listen): it hands the
	// events over on buffered channels and drops what the test no longer
	// waits for.
	begun := make(chan *browser.EventDownloadWillBegin, 8)
	ended := make(chan *browser.EventDownloadProgress, 8)
	lctx, stop := context.WithCancel(ctx)
	defer stop()
	if err := chromedp.ListenBrowser(lctx, func(ev any) {
		switch e := ev.(type) {
		case *browser.EventDownloadWillBegin:
			select {
			case begun <- e:
			default:
			}
		case *browser.EventDownloadProgress:
			if e.State == browser.DownloadProgressStateCompleted || e.State == browser.DownloadProgressStateCanceled {
				select {
				case ended <- e:
				default:
				}
			}
		}
	}); err != nil {
		s.t.Fatalf("browsertest: listening for the download: %v", err)
		return Download{}
	}
	if _, err := chromedp.Run(ctx, chromedp.Click(chromedp.CSS(sel))); err != nil {
		s.t.Fatalf("browsertest: clicking %s for a download: %v", sel, err)
		return Download{}
	}
	var start *browser.EventDownloadWillBegin
	select {
	case start = <-begun:
	case <-ctx.Done():
		s.t.Fatalf("browsertest: clicking %s started no download within %s", sel, s.opts.StepTimeout)
		return Download{}
	}
	for {
		select {
		case e := <-ended:
			if e.GUID != start.GUID {
				continue
			}
			if e.State == browser.DownloadProgressStateCanceled {
				s.t.Fatalf("browsertest: the browser cancelled the download of %s", start.URL)
				return Download{}
			}
			b, err := os.ReadFile(filepath.Join(dir, start.GUID))
			if err != nil {
				s.t.Fatalf("browsertest: reading the download of %s: %v", start.URL, err)
				return Download{}
			}
			return Download{Name: start.SuggestedFilename, URL: start.URL, Content: b}
		case <-ctx.Done():
			s.t.Fatalf("browsertest: the download of %s did not end within %s", start.URL, s.opts.StepTimeout)
			return Download{}
		}
	}
}
