package api_test

// The pages are tested in a real headless Chromium (Debian's chromium),
// driven over the DevTools protocol with chromedp. One browser serves the
// whole package; each test opens its own incognito-like browser context (its
// own cookies), so two users can be logged in at once. A failing test saves
// a screenshot of every tab it opened and prints where.

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

var pagesChrome struct {
	once    sync.Once
	browser context.Context
	err     error
}

// pagesBrowser is the package's one Chromium, started at first use. Without
// chromium the browser tests skip on a developer's machine and fail under CI
// (CI=true), where the Makefile installs it.
func pagesBrowser(t *testing.T) context.Context {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("chromium is not installed; the browser tests need it (make test installs it with apt-get)")
		}
		t.Skip("chromium is not installed (apt-get install chromium fonts-wqy-zenhei); set CI=true to make this a failure")
	}
	pagesChrome.once.Do(func() {
		dir, err := os.MkdirTemp("", "l2c-chromium-")
		if err != nil {
			pagesChrome.err = err
			return
		}
		opts := []chromedp.ExecAllocatorOption{chromedp.ExecPath(path), chromedp.UserDataDir(dir),
			chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
			chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-extensions", true),
			chromedp.Flag("disable-dev-shm-usage", true), chromedp.WindowSize(1280, 900)}
		// The package's lifetime: the browser dies with the test binary (Pdeathsig).
		alloc, _ := chromedp.NewExecAllocator(context.Background(), opts...)
		browser, _ := chromedp.NewContext(alloc)
		if _, err := chromedp.Run(browser, chromedp.Location()); err != nil {
			pagesChrome.err = fmt.Errorf("start chromium: %w", err)
			return
		}
		pagesChrome.browser = browser
	})
	require.NoError(t, pagesChrome.err)
	return pagesChrome.browser
}

// pagesTab is one person's browser: its own cookies, speaking lang
// (an Accept-Language value), on the test server.
type pagesTab struct {
	t    *testing.T
	ctx  context.Context
	base string
	name string
}

// pagesScreenshotDir is where screenshots go: L2C_SCREENSHOTS, or a directory
// under the system's temporary one that outlives the test.
func pagesScreenshotDir() string {
	if d := os.Getenv("L2C_SCREENSHOTS"); d != "" {
		return d
	}
	return filepath.Join(os.TempDir(), "l2c-page-screenshots")
}

func pagesOpenTab(t *testing.T, s *stack, name, lang string) *pagesTab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(pagesBrowser(t), chromedp.WithNewBrowserContext())
	tab := &pagesTab{t: t, ctx: ctx, base: s.url, name: name}
	t.Cleanup(func() {
		if t.Failed() {
			if path, err := tab.screenshot("failed"); err == nil {
				t.Logf("screenshot of %s's tab when the test failed: %s", name, path)
			} else {
				t.Logf("no screenshot of %s's tab: %v", name, err)
			}
		}
		cancel()
	})
	_, err := chromedp.Call(ctx, network.Enable, network.EnableParams{})
	require.NoError(t, err)
	_, err = chromedp.Call(ctx, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{
		Headers: network.Headers{"Accept-Language": lang}})
	require.NoError(t, err)
	return tab
}

// pagesTook logs a browser step that took long, to find where time goes.
func pagesTook(t *testing.T, what string, start time.Time) {
	if d := time.Since(start); d > 2*time.Second {
		t.Logf("%s took %s", what, d.Round(time.Millisecond))
	}
}

// screenshot saves the whole page as a PNG and returns its path.
func (b *pagesTab) screenshot(label string) (string, error) {
	ctx, cancel := context.WithTimeout(b.ctx, 15*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		return "", err
	}
	dir := pagesScreenshotDir()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	clean := regexp.MustCompile(`[^A-Za-z0-9_.-]+`)
	path := filepath.Join(dir, clean.ReplaceAllString(b.t.Name()+"-"+b.name+"-"+label, "_")+".png")
	return path, os.WriteFile(path, png, 0o644)
}

// shot saves a screenshot a person is meant to look at, and logs its path.
func (b *pagesTab) shot(label string) {
	b.t.Helper()
	path, err := b.screenshot(label)
	require.NoError(b.t, err)
	b.t.Logf("screenshot: %s", path)
}

// pagesWait bounds each browser step: a selector that never matches fails
// the test in seconds instead of waiting for the test's timeout.
const pagesWait = 20 * time.Second

func (b *pagesTab) run(actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	defer pagesTook(b.t, "run", time.Now())
	ctx, cancel := context.WithTimeout(b.ctx, pagesWait)
	defer cancel()
	require.NoError(b.t, chromedp.Do(ctx, actions...))
}

// tryTextAt opens path and reads the text of sel, without failing the test:
// for polling a page until it shows something.
func (b *pagesTab) tryTextAt(path, sel string) (string, error) {
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate(b.base+path), chromedp.WaitVisible(chromedp.CSS("main"))); err != nil {
		return "", err
	}
	return chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
}

// until reloads path until sel's text satisfies ok, failing after timeout.
func (b *pagesTab) until(path, sel string, timeout time.Duration, ok func(string) bool) {
	b.t.Helper()
	var last string
	var err error
	for deadline := time.Now().Add(timeout); time.Now().Before(deadline); time.Sleep(300 * time.Millisecond) {
		if last, err = b.tryTextAt(path, sel); err == nil && ok(last) {
			return
		}
	}
	b.t.Fatalf("%s never showed what was awaited in %s: last %q (%v)", path, sel, last, err)
}

// textOf is the visible text of the first element sel matches.
func (b *pagesTab) textOf(sel string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, pagesWait)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("no %s on %s (%v); the page says:\n%s", sel, b.location(), err, b.text())
	}
	return s
}

// pagesEval is the value of the script js on b's page.
func pagesEval[T any](b *pagesTab, js string) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, pagesWait)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js))
	require.NoError(b.t, err)
	return v
}

// valueOf is the value of the form field sel.
func (b *pagesTab) valueOf(sel string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, pagesWait)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Value(chromedp.CSS(sel)))
	require.NoError(b.t, err, "value of %s", sel)
	return v
}

// visit opens path and waits for the page's main content.
func (b *pagesTab) visit(path string) {
	b.t.Helper()
	b.run(chromedp.Navigate(b.base+path), chromedp.WaitVisible(chromedp.CSS("main")))
}

// text is what a person sees on the page (innerText of the body).
func (b *pagesTab) text() string {
	b.t.Helper()
	defer pagesTook(b.t, "text", time.Now())
	ctx, cancel := context.WithTimeout(b.ctx, pagesWait)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("body")))
	require.NoError(b.t, err)
	return s
}

func (b *pagesTab) location() string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Location())
	require.NoError(b.t, err)
	return strings.TrimPrefix(s, b.base)
}

// submit clicks the button sel and waits for the page the form leads to.
func (b *pagesTab) submit(sel string) {
	b.t.Helper()
	defer pagesTook(b.t, "submit "+sel, time.Now())
	_, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`window.l2cOldPage = true`))
	require.NoError(b.t, err)
	b.run(chromedp.Click(chromedp.CSS(sel)))
	// The old page goes away under a poll that runs in it, so each check is
	// its own evaluation, and one that fails because the page changed is retried.
	for deadline := time.Now().Add(30 * time.Second); ; {
		ctx, cancel := context.WithTimeout(b.ctx, 2*time.Second)
		done, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`!window.l2cOldPage && document.readyState === "complete"`))
		cancel()
		if err == nil && done {
			return
		}
		require.True(b.t, time.Now().Before(deadline), "the form %s led to no new page (last error: %v)", sel, err)
		time.Sleep(50 * time.Millisecond)
	}
}

// fill types v into the form field sel.
func (b *pagesTab) fill(sel, v string) {
	b.t.Helper()
	q, _ := json.Marshal(sel)
	ctx, cancel := context.WithTimeout(b.ctx, pagesWait)
	defer cancel()
	_, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => { const e = document.querySelector(`+string(q)+`); e.value = ""; return true })()`))
	require.NoError(b.t, err, "clear %s", sel)
	b.run(chromedp.SendKeys(chromedp.CSS(sel), v))
}

// login logs in through the login form, as a person does.
func (b *pagesTab) login(user, pw string) {
	b.t.Helper()
	b.visit("/login")
	b.fill(`input[name="user"]`, user)
	b.fill(`input[name="password"]`, pw)
	b.submit(`form.login button[type="submit"]`)
	require.NotContains(b.t, b.location(), "/login", "the login went through: %s", b.text())
}

// pagesRawKey finds what looks like an identifier rather than words: a
// catalogue key or a domain name left untranslated (contract_review,
// sales_manager, stage.quote).
var pagesRawKey = regexp.MustCompile(`\b[a-z]+(?:[_.][a-z0-9]+)+\b`)

// requireTranslated fails when the visible text holds a raw key.
func (b *pagesTab) requireTranslated(where string) {
	b.t.Helper()
	text := b.text()
	var raw []string
	for _, k := range pagesRawKey.FindAllString(text, -1) {
		// English abbreviations in the API's messages, and the names of
		// files people uploaded, are not keys.
		if k != "e.g" && k != "i.e" && !strings.HasSuffix(k, ".csv") && !strings.HasSuffix(k, ".xlsx") {
			raw = append(raw, k)
		}
	}
	if len(raw) > 0 {
		b.t.Fatalf("%s shows untranslated keys %q in:\n%s", where, raw, text)
	}
	// A template that failed is a 500 with render's message (no half page).
	if strings.Contains(text, "页面出错") || strings.Contains(text, "could not be shown") {
		b.t.Fatalf("%s did not render:\n%s", where, text)
	}
}

// TestPagesBrowserLogsIn: the harness itself: chromium starts, keeps the
// session cookie of the plain-HTTP test server and lands on My work.
func TestPagesBrowserLogsIn(t *testing.T) {
	s := setup(t)
	setPassword(t, s, "he", "he's long passphrase")
	b := pagesOpenTab(t, s, "he", "en-US,en;q=0.9")
	b.login("he", "he's long passphrase")
	require.Contains(t, b.text(), "He")
}
