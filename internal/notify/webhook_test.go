package notify_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/l2c/l2c/internal/notify"
	"github.com/l2c/l2c/internal/testenv"
)

type hook struct {
	mu       sync.Mutex
	requests []*http.Request
	bodies   []string
	status   int
	answer   string
}

func (h *hook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	h.mu.Lock()
	h.requests = append(h.requests, r)
	h.bodies = append(h.bodies, string(b))
	status, answer := h.status, h.answer
	h.mu.Unlock()
	if status == 0 {
		status = http.StatusOK
	}
	w.WriteHeader(status)
	_, _ = io.WriteString(w, answer)
}

// TestWebhookThroughTheDispatcher posts what a WeCom or DingTalk robot accepts,
// keyed by the outbox key.
func TestWebhookThroughTheDispatcher(t *testing.T) {
	db := setup(t)
	h := &hook{answer: `{"errcode":0,"errmsg":"ok"}`}
	srv := httptest.NewServer(h)
	defer srv.Close()
	queue(t, db, "deal/D-000042/contract-review/1", "role:finance")

	d := &notify.Dispatcher{DB: db, Log: testenv.Quiet, Notifier: &notify.Webhook{URL: srv.URL + "/cgi-bin/webhook/send?key=secret"}}
	n, err := d.DeliverOnce(context.Background())
	require.NoError(t, err)
	require.Equal(t, 1, n)

	require.Len(t, h.requests, 1)
	r := h.requests[0]
	require.Equal(t, http.MethodPost, r.Method)
	require.Equal(t, "/cgi-bin/webhook/send?key=secret", r.URL.RequestURI())
	require.Equal(t, "deal/D-000042/contract-review/1", r.Header.Get("Idempotency-Key"))
	require.Equal(t, "application/json; charset=utf-8", r.Header.Get("Content-Type"))
	var body map[string]any
	require.NoError(t, json.Unmarshal([]byte(h.bodies[0]), &body))
	require.Equal(t, map[string]any{"msgtype": "text", "text": map[string]any{
		"content": "subject deal/D-000042/contract-review/1\nbody deal/D-000042/contract-review/1\n→ Qian, 孙丽"}}, body)
}

func TestWebhookAnswersAndTemplates(t *testing.T) {
	ctx := context.Background()
	h := &hook{}
	srv := httptest.NewServer(h)
	defer srv.Close()
	m := notify.Message{Key: "k-1", Recipient: "role:finance", Subject: "合同评审待审批: \"HT-1\"",
		Body: "D-000001 等您审批", To: []notify.Person{{ID: "sun", Name: "孙丽"}}}
	w := &notify.Webhook{URL: srv.URL}

	for _, tc := range []struct {
		status    int
		answer    string
		ok        bool
		permanent bool
	}{
		{200, `{"errcode":0,"errmsg":"ok"}`, true, false},
		{204, ``, true, false},
		{200, `{"errcode":45009,"errmsg":"api freq out of limit"}`, false, false},
		{500, `oops`, false, false},
		{429, ``, false, false},
		{400, `{"error":"bad payload"}`, false, true},
		{404, ``, false, true},
	} {
		h.status, h.answer = tc.status, tc.answer
		err := w.Notify(ctx, m)
		require.Equal(t, tc.ok, err == nil, "%d %s: %v", tc.status, tc.answer, err)
		require.Equal(t, tc.permanent, notify.IsPermanent(err), "%d %s: %v", tc.status, tc.answer, err)
	}
	var body struct {
		Text struct{ Content string }
	}
	require.NoError(t, json.Unmarshal([]byte(h.bodies[0]), &body))
	require.Equal(t, "合同评审待审批: \"HT-1\"\nD-000001 等您审批\n→ 孙丽", body.Text.Content)

	// A DingTalk markdown message that @-mentions by name, from a custom template.
	tmpl, err := notify.ParseWebhookTemplate(`{"msgtype":"markdown","markdown":{"title":{{json .Subject}},` +
		`"text":{{json .Body}}},"at":{"atUserIds":[{{range $i, $p := .To}}{{if $i}},{{end}}{{json $p.ID}}{{end}}]}}`)
	require.NoError(t, err)
	h.status, h.answer = 200, `{"errcode":0}`
	signedAt := time.UnixMilli(1767225600123)
	w = &notify.Webhook{URL: srv.URL + "/robot/send?access_token=t", Template: tmpl, Secret: "SEC123",
		Now: func() time.Time { return signedAt }}
	require.NoError(t, w.Notify(ctx, m))
	last := len(h.bodies) - 1
	require.JSONEq(t, `{"msgtype":"markdown","markdown":{"title":"合同评审待审批: \"HT-1\"","text":"D-000001 等您审批"},
		"at":{"atUserIds":["sun"]}}`, h.bodies[last])
	q := h.requests[last].URL.Query()
	require.Equal(t, "t", q.Get("access_token"))
	require.Equal(t, "1767225600123", q.Get("timestamp"))
	mac := hmac.New(sha256.New, []byte("SEC123"))
	mac.Write([]byte("1767225600123\nSEC123"))
	require.Equal(t, base64.StdEncoding.EncodeToString(mac.Sum(nil)), q.Get("sign"))

	_, err = notify.ParseWebhookTemplate(`{"text":{{.Subject}}}`)
	require.ErrorContains(t, err, "not JSON")
	_, err = notify.ParseWebhookTemplate(`{{.Nope}}`)
	require.Error(t, err)

	// A transport error does not leak the robot's access token.
	w = &notify.Webhook{URL: "http://127.0.0.1:1/send?key=TOPSECRET"}
	err = w.Notify(ctx, m)
	require.Error(t, err)
	require.NotContains(t, err.Error(), "TOPSECRET")
	require.False(t, notify.IsPermanent(err))
}
