package testsuite

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/olflow/olflow/api"
	"github.com/olflow/olflow/onelogin/olsim"
	"github.com/olflow/olflow/starter"
)

// TestUICheck is `make ui-check`: the demo stack kept running, the
// Temporal UI in headless Chromium, and what an operator must be able to
// read there asserted as visible text, with screenshots in OLFLOW_UI_DIR
// (tmp/ui). It runs only when OLFLOW_UI_CHECK is set (it needs Chromium).
func TestUICheck(t *testing.T) {
	if os.Getenv("OLFLOW_UI_CHECK") == "" {
		t.Skip("set OLFLOW_UI_CHECK=1 (make ui-check) to drive Chromium through the Temporal UI")
	}
	chromium := os.Getenv("OLFLOW_CHROMIUM")
	if chromium == "" {
		var err error
		chromium, err = exec.LookPath("chromium")
		require.NoError(t, err, "install Chromium (apt-get install -y chromium) or set OLFLOW_CHROMIUM")
	}
	shots := os.Getenv("OLFLOW_UI_DIR")
	if shots == "" {
		shots = filepath.Join("..", "tmp", "ui")
	}
	require.NoError(t, os.MkdirAll(shots, 0o755))

	// 6,000 users read fast at connect; the sync below is slowed so that it
	// runs long enough to be watched.
	d := startDemo(t, "--users", "6000", "--sim-latency", "5ms")
	st := d.starter(t)
	ctx := context.Background()
	integration := "demo-acme"

	bctx := browser(t, chromium)
	ui := &uiPage{t: t, ctx: bctx, base: d.uiURL + "/namespaces/default", shots: shots}

	// 1. The workflow list filtered by the integration.
	ui.open("/workflows?query=" + url.QueryEscape(fmt.Sprintf("%s=%q", api.IntegrationAttribute.GetName(), integration)))
	ui.waitFor("list", 30*time.Second, regexp.MustCompile(regexp.QuoteMeta(api.ConnectWorkflowID(integration))), regexp.MustCompile(`SyncDirectory`))
	ui.shot("1-workflows-by-integration")

	// 2. ConnectIntegration's input, decoded by the codec server: the
	// secret only sealed.
	connect := ui.runID(st, api.ConnectWorkflowID(integration))
	ui.open("/workflows/" + url.PathEscape(api.ConnectWorkflowID(integration)) + "/" + connect + "/history")
	text := ui.waitFor("connect input", 30*time.Second, regexp.MustCompile(`sealed:v1`))
	require.NotContains(t, text, olsim.DefaultClientSecret, "the plaintext secret is on the page")
	ui.shot("2-connect-input-decoded")
	// Its static details say what was asked; its current details how it
	// ended, scope named.
	ui.click("User Metadata")
	text = ui.waitFor("connect details", 20*time.Second, regexp.MustCompile(`Connect OneLogin acme \(region us, client id`),
		regexp.MustCompile(`Connected with Manage All scope\. First sync read 6,000 users`))
	require.NotContains(t, text, olsim.DefaultClientSecret)
	ui.shot("2b-connect-details")

	// 3. A running sync's Current Details count users while it reads.
	d.simLatency(t, 1500*time.Millisecond)
	run, err := st.StartSync(ctx, api.SyncRequest{IntegrationID: integration, Mode: api.ModeFull})
	require.NoError(t, err)
	syncPage := "/workflows/" + url.PathEscape(run.GetID()) + "/" + run.GetRunID() + "/history"
	started := time.Now()
	// Current Details are under the User Metadata tab; reopen it each time
	// so the UI asks the worker again.
	ui.refresh = func() { ui.open(syncPage); ui.click("User Metadata") }
	text = ui.waitFor("live user count", 45*time.Second, regexp.MustCompile(`Current Details`), regexp.MustCompile(`[1-9][0-9,]* users read`))
	ui.refresh = nil
	t.Logf("a non-zero live user count after %s", time.Since(started).Round(time.Second))
	ui.shot("3-running-sync-current-details")
	require.Contains(t, text, "page ", "pages done of total")
	d.simLatency(t, 0)

	// 4. A failed action found by its outcome attribute: its only user
	// names nobody, so it closes with OneLoginActionOutcome = failed.
	failed, err := st.SuspendUsers(ctx, api.ActionRequest{IntegrationID: integration, RequestID: "ui-check-ghost",
		RequestedBy: "ui-check", Users: []api.UserRef{{Email: "ghost@acme.example"}}})
	require.NoError(t, err)
	res, err := failed.Get(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, res.Failed)
	ui.open("/workflows?query=" + url.QueryEscape(fmt.Sprintf(`%s="failed"`, api.ActionOutcomeAttribute.GetName())))
	ui.waitFor("failed actions", 30*time.Second, regexp.MustCompile(regexp.QuoteMeta(failed.GetID())))
	ui.shot("4-failed-action-by-outcome")

	// 5. The periodic sync's schedule page.
	ui.open("/schedules/" + url.PathEscape(api.ScheduleID(integration)))
	ui.waitFor("schedule", 30*time.Second, regexp.MustCompile(regexp.QuoteMeta(api.ScheduleID(integration))), regexp.MustCompile(`SyncDirectory`),
		regexp.MustCompile(`Upcoming Runs`), regexp.MustCompile(`"Mode": "incremental"`))
	ui.shot("5-schedule")

	_, err = run.Get(ctx)
	require.NoError(t, err, "the watched sync completes")
}

// browser starts headless Chromium with flags that work in CI containers.
func browser(t *testing.T, path string) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Flag("headless", "new"),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1440, 1000),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	bctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	_, err := chromedp.Run(bctx, chromedp.Navigate("about:blank"))
	require.NoError(t, err, "start Chromium")
	return bctx
}

type uiPage struct {
	t     *testing.T
	ctx   context.Context
	base  string
	shots string
	// refresh, when set, runs before each look at the page.
	refresh func()
}

// click clicks the first link or button whose text starts with label.
func (p *uiPage) click(label string) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 10*time.Second)
	defer cancel()
	js := fmt.Sprintf(`(() => { const e = Array.from(document.querySelectorAll('a,button,[role=tab]')).find(e => e.innerText.trim().startsWith(%q)); if (e) { e.click(); return true } return false })()`, label)
	for {
		found, err := chromedp.Run(ctx, chromedp.Evaluate[bool](js))
		if err == nil && found {
			return
		}
		if ctx.Err() != nil {
			p.t.Fatalf("no %q to click: %v", label, err)
		}
		time.Sleep(300 * time.Millisecond)
	}
}

func (p *uiPage) open(path string) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 30*time.Second)
	defer cancel()
	_, err := chromedp.Run(ctx, chromedp.Navigate(p.base+path))
	require.NoError(p.t, err, "open %s", path)
}

// waitFor polls the page's visible text until every pattern matches, and
// returns it; on timeout it fails with the text it saw last.
func (p *uiPage) waitFor(what string, timeout time.Duration, patterns ...*regexp.Regexp) string {
	p.t.Helper()
	deadline := time.Now().Add(timeout)
	var text string
	for {
		if p.refresh != nil {
			p.refresh()
			time.Sleep(2 * time.Second) // let the tab render and decode
		}
		ctx, cancel := context.WithTimeout(p.ctx, 10*time.Second)
		var err error
		text, err = chromedp.Run(ctx, chromedp.Evaluate[string](pageText))
		cancel()
		if err == nil && matchAll(text, patterns) {
			return text
		}
		if time.Now().After(deadline) {
			p.shot("failed-" + strings.ReplaceAll(what, " ", "-"))
			p.t.Fatalf("%s: %v not visible within %s (err %v); the page shows:\n%s", what, patterns, timeout, err, text)
		}
		time.Sleep(time.Second)
	}
}

// pageText is the visible text, with that of the sandboxed iframes the UI
// renders markdown (summaries, details) in.
const pageText = `(() => {
  const parts = [document.body ? document.body.innerText : ""];
  for (const f of document.querySelectorAll("iframe")) {
    try { if (f.contentDocument && f.contentDocument.body) { parts.push(f.contentDocument.body.innerText); continue } } catch (e) {}
    if (f.srcdoc) { const d = new DOMParser().parseFromString(f.srcdoc, "text/html"); parts.push(d.body.innerText || d.body.textContent) }
  }
  return parts.join("\n");
})()`

func matchAll(text string, patterns []*regexp.Regexp) bool {
	for _, re := range patterns {
		if !re.MatchString(text) {
			return false
		}
	}
	return true
}

// shot saves a screenshot of the viewport as <name>.png.
func (p *uiPage) shot(name string) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 20*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		p.t.Logf("screenshot %s: %v", name, err)
		return
	}
	if err := os.WriteFile(filepath.Join(p.shots, name+".png"), png, 0o644); err != nil {
		p.t.Logf("screenshot %s: %v", name, err)
	}
}

// runID is the newest run of a workflow id.
func (p *uiPage) runID(st *starter.Starter, workflowID string) string {
	p.t.Helper()
	desc, err := st.Client.DescribeWorkflow(context.Background(), workflowID, "")
	require.NoError(p.t, err)
	return desc.RawResponse.GetWorkflowExecutionInfo().GetExecution().GetRunId()
}
