package notify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"text/template"
	"time"
)

// DefaultWebhookTemplate is the body both WeCom (企业微信) and DingTalk (钉钉)
// group robots accept: a text message.
const DefaultWebhookTemplate = `{"msgtype":"text","text":{"content":{{json .Text}}}}`

// Webhook POSTs each message as JSON to a URL, the body rendered from a
// text/template, with the outbox key as Idempotency-Key so a receiver that
// honours it drops a resend.
//
// The template sees the Message (.Key, .Recipient, .To, .Subject, .Body,
// .DealID, .CreatedAt) and .Text (Message.Text), and has a json function that
// writes a value as JSON, e.g. {"content":{{json .Text}}}. What it renders must
// be valid JSON.
type Webhook struct {
	URL      string
	Template *template.Template
	// Secret, if set, signs each request the way DingTalk robots with 加签
	// security expect: timestamp and sign query parameters.
	Secret string
	Client *http.Client
	// Now is the clock for DingTalk signatures; default time.Now.
	Now func() time.Time
}

// ParseWebhookTemplate parses a body template (DefaultWebhookTemplate if text is empty).
func ParseWebhookTemplate(text string) (*template.Template, error) {
	if text == "" {
		text = DefaultWebhookTemplate
	}
	t, err := template.New("webhook").Option("missingkey=error").Funcs(template.FuncMap{
		"json": func(v any) (string, error) {
			b, err := json.Marshal(v)
			return string(b), err
		},
	}).Parse(text)
	if err != nil {
		return nil, fmt.Errorf("webhook template: %w", err)
	}
	// Rendering a sample catches templates that parse but cannot produce JSON.
	var b bytes.Buffer
	sample := webhookData{Message: Message{Key: "k", Recipient: "u", Subject: "s", Body: "b",
		To: []Person{{ID: "u", Name: "U"}}}}
	sample.Text = sample.Message.Text()
	if err := t.Execute(&b, sample); err != nil {
		return nil, fmt.Errorf("webhook template: %w", err)
	}
	if !json.Valid(b.Bytes()) {
		return nil, fmt.Errorf("webhook template: renders %q, which is not JSON (quote strings with the json function)", b.String())
	}
	return t, nil
}

type webhookData struct {
	Message
	Text string
}

// maxResponse bounds how much of a webhook's answer is read.
const maxResponse = 64 << 10

// Notify posts m. Server errors, 408 and 429 are worth retrying; other 4xx
// answers are not. Robots answer 200 with {"errcode":N,"errmsg":...} and a
// non-zero errcode on failure (rate limits among them), which counts as a
// failure to retry.
func (w *Webhook) Notify(ctx context.Context, m Message) error {
	tmpl := w.Template
	if tmpl == nil {
		var err error
		if tmpl, err = ParseWebhookTemplate(""); err != nil {
			return Permanent(err)
		}
	}
	var body bytes.Buffer
	if err := tmpl.Execute(&body, webhookData{Message: m, Text: m.Text()}); err != nil {
		return Permanent(fmt.Errorf("webhook: render %s: %w", m.Key, err))
	}
	if !json.Valid(body.Bytes()) {
		return Permanent(fmt.Errorf("webhook: the template rendered invalid JSON for %s", m.Key))
	}
	target, err := w.signedURL()
	if err != nil {
		return Permanent(err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, &body)
	if err != nil {
		return Permanent(fmt.Errorf("webhook: %w", err))
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("Idempotency-Key", m.Key)
	client := w.Client
	if client == nil {
		client = http.DefaultClient
	}
	res, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("webhook: post: %w", redact(err))
	}
	defer res.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(res.Body, maxResponse))
	switch {
	case res.StatusCode == http.StatusRequestTimeout || res.StatusCode == http.StatusTooManyRequests ||
		res.StatusCode >= 500:
		return fmt.Errorf("webhook: %s: %s", res.Status, snippet(answer))
	case res.StatusCode < 200 || res.StatusCode > 299:
		return Permanent(fmt.Errorf("webhook: %s: %s", res.Status, snippet(answer)))
	}
	var robot struct {
		ErrCode *int   `json:"errcode"`
		ErrMsg  string `json:"errmsg"`
	}
	if json.Unmarshal(answer, &robot) == nil && robot.ErrCode != nil && *robot.ErrCode != 0 {
		return fmt.Errorf("webhook: robot answered errcode %d: %s", *robot.ErrCode, robot.ErrMsg)
	}
	return nil
}

// signedURL adds DingTalk's timestamp and sign parameters when a secret is set:
// sign = base64(HMAC-SHA256(secret, timestamp + "\n" + secret)), timestamp in
// milliseconds.
func (w *Webhook) signedURL() (string, error) {
	if w.Secret == "" {
		return w.URL, nil
	}
	u, err := url.Parse(w.URL)
	if err != nil {
		return "", fmt.Errorf("webhook url: %w", err)
	}
	now := time.Now
	if w.Now != nil {
		now = w.Now
	}
	ts := strconv.FormatInt(now().UnixMilli(), 10)
	mac := hmac.New(sha256.New, []byte(w.Secret))
	mac.Write([]byte(ts + "\n" + w.Secret))
	q := u.Query()
	q.Set("timestamp", ts)
	q.Set("sign", base64.StdEncoding.EncodeToString(mac.Sum(nil)))
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// redact drops the URL from a transport error: robot URLs carry their access
// token, which must not end up in logs or on the notification row.
func redact(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s: %w", ue.Op, ue.Err)
	}
	return err
}

func snippet(b []byte) string {
	const max = 300
	if len(b) > max {
		return string(bytes.ToValidUTF8(b[:max], nil)) + "…"
	}
	return string(b)
}
