package notify

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/l2c/l2c/internal/database"
)

// Config is how notifications are delivered, read from the environment:
//
//	L2C_NOTIFY                log (default), smtp or webhook
//	L2C_NOTIFY_POLL           how often the outbox is polled (default 2s)
//	L2C_NOTIFY_MAX_ATTEMPTS   attempts before a notification is given up (default 10)
//	L2C_SMTP_ADDR             host:port of the mail server (smtp: required)
//	L2C_SMTP_USER, L2C_SMTP_PASSWORD  credentials, if the server wants them
//	L2C_SMTP_FROM             sender, e.g. "l2c <l2c@example.com>" (smtp: required)
//	L2C_SMTP_TLS              starttls (default), tls (port 465; the default there) or none
//	L2C_WEBHOOK_URL           where to POST (webhook: required)
//	L2C_WEBHOOK_TEMPLATE      body template (default: the WeCom/DingTalk text message)
//	L2C_WEBHOOK_SECRET        DingTalk 加签 secret, if the robot uses signing
type Config struct {
	Kind        string // log, smtp or webhook
	Poll        time.Duration
	MaxAttempts int
	SMTP        SMTP
	Webhook     Webhook
}

// ConfigFromEnv reads the configuration through getenv (os.Getenv) and checks
// it, so that a mistake stops `l2c serve` at start rather than failing every
// notification later.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	c := Config{Kind: strings.ToLower(strings.TrimSpace(getenv("L2C_NOTIFY"))),
		Poll: DefaultPollInterval, MaxAttempts: DefaultMaxAttempts}
	if c.Kind == "" {
		c.Kind = "log"
	}
	if v := getenv("L2C_NOTIFY_POLL"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return Config{}, fmt.Errorf("L2C_NOTIFY_POLL=%q: want a positive duration such as 2s", v)
		}
		c.Poll = d
	}
	if v := getenv("L2C_NOTIFY_MAX_ATTEMPTS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return Config{}, fmt.Errorf("L2C_NOTIFY_MAX_ATTEMPTS=%q: want a whole number of at least 1", v)
		}
		c.MaxAttempts = n
	}
	switch c.Kind {
	case "log":
	case "smtp":
		s := SMTP{Addr: getenv("L2C_SMTP_ADDR"), Username: getenv("L2C_SMTP_USER"),
			Password: getenv("L2C_SMTP_PASSWORD"), From: getenv("L2C_SMTP_FROM"),
			TLS: TLSMode(strings.ToLower(getenv("L2C_SMTP_TLS")))}
		_, port, err := net.SplitHostPort(s.Addr)
		if err != nil {
			return Config{}, fmt.Errorf("L2C_SMTP_ADDR=%q: want host:port, e.g. smtp.example.com:587", s.Addr)
		}
		if s.TLS == "" {
			s.TLS = StartTLS
			if port == "465" {
				s.TLS = ImplicitTLS
			}
		}
		if s.TLS != StartTLS && s.TLS != ImplicitTLS && s.TLS != NoTLS {
			return Config{}, fmt.Errorf("L2C_SMTP_TLS=%q: want starttls, tls or none", s.TLS)
		}
		if _, err := mail.ParseAddress(s.From); err != nil {
			return Config{}, fmt.Errorf("L2C_SMTP_FROM=%q: want an address such as \"l2c <l2c@example.com>\": %v", s.From, err)
		}
		if (s.Username == "") != (s.Password == "") {
			return Config{}, errors.New("L2C_SMTP_USER and L2C_SMTP_PASSWORD: set both or neither")
		}
		c.SMTP = s
	case "webhook":
		w := Webhook{URL: getenv("L2C_WEBHOOK_URL"), Secret: getenv("L2C_WEBHOOK_SECRET"),
			Client: &http.Client{Timeout: DefaultSendTimeout}}
		u, err := url.Parse(w.URL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			// Not echoed: a robot URL carries its access token.
			return Config{}, errors.New("L2C_WEBHOOK_URL: want an http(s) URL, e.g. https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…")
		}
		if w.Template, err = ParseWebhookTemplate(getenv("L2C_WEBHOOK_TEMPLATE")); err != nil {
			return Config{}, fmt.Errorf("L2C_WEBHOOK_TEMPLATE: %w", err)
		}
		c.Webhook = w
	default:
		return Config{}, fmt.Errorf("L2C_NOTIFY=%q: want log, smtp or webhook", c.Kind)
	}
	return c, nil
}

// Notifier is the notifier the configuration names.
func (c Config) Notifier(log *slog.Logger) Notifier {
	switch c.Kind {
	case "smtp":
		s := c.SMTP
		return &s
	case "webhook":
		w := c.Webhook
		return &w
	}
	return Log{Logger: log}
}

// Dispatcher is a Dispatcher over db with the configured notifier, poll
// interval and attempts; the rest take their defaults.
func (c Config) Dispatcher(db *database.DB, log *slog.Logger) *Dispatcher {
	return &Dispatcher{DB: db, Notifier: c.Notifier(log), Log: log.With("component", "notify"),
		PollInterval: c.Poll, MaxAttempts: c.MaxAttempts}
}
