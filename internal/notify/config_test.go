package notify_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/l2c/l2c/internal/notify"
	"github.com/l2c/l2c/internal/testenv"
)

func TestConfigFromEnv(t *testing.T) {
	env := func(kv ...string) func(string) string {
		m := map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return func(k string) string { return m[k] }
	}

	c, err := notify.ConfigFromEnv(env())
	require.NoError(t, err)
	require.Equal(t, "log", c.Kind)
	require.Equal(t, notify.DefaultPollInterval, c.Poll)
	require.IsType(t, notify.Log{}, c.Notifier(testenv.Quiet))

	c, err = notify.ConfigFromEnv(env("L2C_NOTIFY", "smtp", "L2C_SMTP_ADDR", "smtp.exmail.qq.com:465",
		"L2C_SMTP_FROM", "l2c <l2c@example.com>", "L2C_SMTP_USER", "l2c@example.com", "L2C_SMTP_PASSWORD", "x",
		"L2C_NOTIFY_POLL", "500ms", "L2C_NOTIFY_MAX_ATTEMPTS", "4"))
	require.NoError(t, err)
	require.Equal(t, notify.ImplicitTLS, c.SMTP.TLS, "port 465 means TLS from the start")
	require.Equal(t, 500*time.Millisecond, c.Poll)
	require.Equal(t, 4, c.MaxAttempts)
	require.IsType(t, &notify.SMTP{}, c.Notifier(testenv.Quiet))
	d := c.Dispatcher(nil, testenv.Quiet)
	require.Equal(t, 4, d.MaxAttempts)

	c, err = notify.ConfigFromEnv(env("L2C_NOTIFY", "smtp", "L2C_SMTP_ADDR", "mail.internal:587", "L2C_SMTP_FROM", "l2c@example.com"))
	require.NoError(t, err)
	require.Equal(t, notify.StartTLS, c.SMTP.TLS)

	c, err = notify.ConfigFromEnv(env("L2C_NOTIFY", "webhook",
		"L2C_WEBHOOK_URL", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc"))
	require.NoError(t, err)
	require.IsType(t, &notify.Webhook{}, c.Notifier(testenv.Quiet))

	for _, bad := range []struct {
		env  []string
		want string
	}{
		{[]string{"L2C_NOTIFY", "pigeon"}, "L2C_NOTIFY"},
		{[]string{"L2C_NOTIFY_POLL", "soon"}, "L2C_NOTIFY_POLL"},
		{[]string{"L2C_NOTIFY_MAX_ATTEMPTS", "0"}, "L2C_NOTIFY_MAX_ATTEMPTS"},
		{[]string{"L2C_NOTIFY", "smtp", "L2C_SMTP_FROM", "l2c@example.com"}, "L2C_SMTP_ADDR"},
		{[]string{"L2C_NOTIFY", "smtp", "L2C_SMTP_ADDR", "h:25"}, "L2C_SMTP_FROM"},
		{[]string{"L2C_NOTIFY", "smtp", "L2C_SMTP_ADDR", "h:25", "L2C_SMTP_FROM", "a@b", "L2C_SMTP_TLS", "maybe"}, "L2C_SMTP_TLS"},
		{[]string{"L2C_NOTIFY", "smtp", "L2C_SMTP_ADDR", "h:25", "L2C_SMTP_FROM", "a@b", "L2C_SMTP_USER", "u"}, "L2C_SMTP_PASSWORD"},
		{[]string{"L2C_NOTIFY", "webhook"}, "L2C_WEBHOOK_URL"},
		{[]string{"L2C_NOTIFY", "webhook", "L2C_WEBHOOK_URL", "https://x/y", "L2C_WEBHOOK_TEMPLATE", "{{.Subject}}"}, "L2C_WEBHOOK_TEMPLATE"},
	} {
		_, err := notify.ConfigFromEnv(env(bad.env...))
		require.ErrorContains(t, err, bad.want, "%v", bad.env)
	}
}
