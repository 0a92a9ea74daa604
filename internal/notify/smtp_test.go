package notify_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"io"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"net/textproto"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/l2c/l2c/internal/database"
	"github.com/l2c/l2c/internal/notify"
	"github.com/l2c/l2c/internal/testenv"
)

// smtpServer is just enough of a mail server to test against: EHLO, STARTTLS,
// AUTH PLAIN and LOGIN, MAIL, RCPT, DATA, QUIT.
type smtpServer struct {
	addr      string
	cert      tls.Certificate
	roots     *x509.CertPool
	implicit  bool   // TLS from the first byte
	startTLS  bool   // offer STARTTLS
	mechs     string // AUTH mechanisms offered, e.g. "PLAIN LOGIN"
	user      string
	password  string
	refuse    string // RCPT to this address gets 550
	mu        sync.Mutex
	mails     []mailIn
	listener  net.Listener
	closeOnce sync.Once
}

type mailIn struct {
	from   string
	to     []string
	data   string
	tls    bool
	authed string
}

// testCert borrows httptest's certificate for 127.0.0.1 and the pool that trusts it.
func testCert(t *testing.T) (tls.Certificate, *x509.CertPool) {
	hs := httptest.NewTLSServer(http.NotFoundHandler())
	defer hs.Close()
	pool := x509.NewCertPool()
	pool.AddCert(hs.Certificate())
	return hs.TLS.Certificates[0], pool
}

func startSMTP(t *testing.T, s *smtpServer) *smtpServer {
	t.Helper()
	s.cert, s.roots = testCert(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	if s.implicit {
		ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{s.cert}})
	}
	s.listener, s.addr = ln, ln.Addr().String()
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go s.serve(conn)
		}
	}()
	t.Cleanup(func() { s.listener.Close() })
	return s
}

func (s *smtpServer) received() []mailIn {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]mailIn(nil), s.mails...)
}

func (s *smtpServer) serve(conn net.Conn) {
	defer func() { conn.Close() }()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	secure := s.implicit
	tp := textproto.NewConn(conn)
	reply := func(format string, args ...any) { _ = tp.PrintfLine(format, args...) }
	reply("220 test.local ESMTP")
	var cur mailIn
	authed := ""
	for {
		line, err := tp.ReadLine()
		if err != nil {
			return
		}
		verb, arg, _ := strings.Cut(line, " ")
		switch strings.ToUpper(verb) {
		case "EHLO", "HELO":
			ext := []string{"test.local"}
			if s.startTLS && !secure {
				ext = append(ext, "STARTTLS")
			}
			if s.mechs != "" {
				ext = append(ext, "AUTH "+s.mechs)
			}
			ext = append(ext, "8BITMIME")
			for i, e := range ext {
				sep := "-"
				if i == len(ext)-1 {
					sep = " "
				}
				reply("250%s%s", sep, e)
			}
		case "STARTTLS":
			reply("220 2.0.0 ready")
			tc := tls.Server(conn, &tls.Config{Certificates: []tls.Certificate{s.cert}})
			if tc.Handshake() != nil {
				return
			}
			conn, tp, secure = tc, textproto.NewConn(tc), true
		case "AUTH":
			mech, initial, _ := strings.Cut(arg, " ")
			var user, pass string
			switch strings.ToUpper(mech) {
			case "PLAIN":
				b, _ := base64.StdEncoding.DecodeString(initial)
				if parts := strings.Split(string(b), "\x00"); len(parts) == 3 {
					user, pass = parts[1], parts[2]
				}
			case "LOGIN":
				ask := func(prompt string) string {
					reply("334 %s", base64.StdEncoding.EncodeToString([]byte(prompt)))
					l, _ := tp.ReadLine()
					b, _ := base64.StdEncoding.DecodeString(l)
					return string(b)
				}
				user, pass = ask("Username:"), ask("Password:")
			}
			if user != s.user || pass != s.password {
				reply("535 5.7.8 authentication failed")
				continue
			}
			authed = strings.ToUpper(mech) + ":" + user
			reply("235 2.7.0 authenticated")
		case "MAIL":
			cur = mailIn{from: between(arg, "<", ">"), tls: secure, authed: authed}
			reply("250 2.1.0 ok")
		case "RCPT":
			to := between(arg, "<", ">")
			if to == s.refuse {
				reply("550 5.1.1 no such user")
				continue
			}
			cur.to = append(cur.to, to)
			reply("250 2.1.5 ok")
		case "DATA":
			reply("354 go ahead")
			b, err := tp.ReadDotBytes()
			if err != nil {
				return
			}
			cur.data = string(b)
			s.mu.Lock()
			s.mails = append(s.mails, cur)
			s.mu.Unlock()
			reply("250 2.0.0 queued")
		case "RSET", "NOOP":
			reply("250 ok")
		case "QUIT":
			reply("221 bye")
			return
		default:
			reply("502 5.5.2 not implemented")
		}
	}
}

func between(s, open, close string) string {
	_, rest, _ := strings.Cut(s, open)
	v, _, _ := strings.Cut(rest, close)
	return v
}

// TestSMTPThroughTheDispatcher sends over STARTTLS with AUTH PLAIN, to the
// addresses of the people a role resolves to.
func TestSMTPThroughTheDispatcher(t *testing.T) {
	ctx := context.Background()
	db := setup(t)
	srv := startSMTP(t, &smtpServer{startTLS: true, mechs: "PLAIN LOGIN", user: "l2c", password: "pw"})
	body := "合同 HT-2026-001 等您审批。\n.a line starting with a dot\n" + strings.Repeat("长", 60)
	_, err := db.NotificationQueue(ctx, database.Notification{DedupeKey: "m-1", Recipient: "role:finance",
		Subject: "合同评审：D-000001 待审批", Body: body})
	require.NoError(t, err)
	queue(t, db, "m-2", "n-wang")
	queue(t, db, "m-3", "n-qian") // has no e-mail address

	d := &notify.Dispatcher{DB: db, Log: testenv.Quiet, Notifier: &notify.SMTP{Addr: srv.addr, Username: "l2c", Password: "pw",
		From: "l2c 通知 <l2c@example.com>", TLS: notify.StartTLS, TLSConfig: &tls.Config{RootCAs: srv.roots}}}
	n, err := d.DeliverOnce(ctx)
	require.NoError(t, err)
	require.Equal(t, 2, n)

	mails := srv.received()
	require.Len(t, mails, 2)
	var finance mailIn
	for _, m := range mails {
		require.True(t, m.tls, "sent over TLS")
		require.Equal(t, "PLAIN:l2c", m.authed)
		require.Equal(t, "l2c@example.com", m.from)
		if m.to[0] == "sun@example.com" {
			finance = m
		}
	}
	require.Equal(t, []string{"sun@example.com"}, finance.to, "role:finance reaches those with an address")

	msg, err := mail.ReadMessage(strings.NewReader(finance.data))
	require.NoError(t, err)
	subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	require.NoError(t, err)
	require.Equal(t, "合同评审：D-000001 待审批", subject)
	to, err := msg.Header.AddressList("To")
	require.NoError(t, err)
	require.Equal(t, []*mail.Address{{Name: "孙丽", Address: "sun@example.com"}}, to)
	from, err := msg.Header.AddressList("From")
	require.NoError(t, err)
	require.Equal(t, "l2c 通知", from[0].Name)
	require.Regexp(t, `^<[0-9a-f]{32}@example\.com>$`, msg.Header.Get("Message-ID"))
	_, err = msg.Header.Date()
	require.NoError(t, err)
	require.Equal(t, "text/plain; charset=UTF-8", msg.Header.Get("Content-Type"))
	text, err := io.ReadAll(quotedprintable.NewReader(msg.Body))
	require.NoError(t, err)
	require.Equal(t, body+"\n", string(text)) // the server reads lines as LF

	s := status(t, db, "m-3")
	require.True(t, s.Failed(), "no address is not worth retrying")
	require.Contains(t, s.LastError, "no e-mail address for n-qian")
}

func TestSMTPModesAndFailures(t *testing.T) {
	ctx := context.Background()
	m := notify.Message{Key: "k", Recipient: "role:finance", Subject: "s", Body: "b",
		To: []notify.Person{{ID: "a", Email: "a@example.com"}, {ID: "b", Email: "b@example.com"}}}

	// Port 465 style: TLS from the start, and a server that offers only AUTH LOGIN.
	srv := startSMTP(t, &smtpServer{implicit: true, mechs: "LOGIN", user: "u", password: "p"})
	s := &notify.SMTP{Addr: srv.addr, Username: "u", Password: "p", From: "l2c@example.com",
		TLS: notify.ImplicitTLS, TLSConfig: &tls.Config{RootCAs: srv.roots}}
	require.NoError(t, s.Notify(ctx, m))
	require.Equal(t, "LOGIN:u", srv.received()[0].authed)
	require.True(t, srv.received()[0].tls)

	// A certificate nobody vouches for is refused.
	s.TLSConfig = nil
	require.Error(t, s.Notify(ctx, m))

	// STARTTLS is required by default: a server that does not offer it gets nothing.
	srv = startSMTP(t, &smtpServer{mechs: "PLAIN", user: "u", password: "p"})
	s = &notify.SMTP{Addr: srv.addr, Username: "u", Password: "p", From: "l2c@example.com"}
	err := s.Notify(ctx, m)
	require.ErrorContains(t, err, "STARTTLS")
	require.Empty(t, srv.received())

	// A relay on localhost in clear (net/smtp allows a password to localhost only).
	s.TLS = notify.NoTLS
	require.NoError(t, s.Notify(ctx, m))
	require.Equal(t, []string{"a@example.com", "b@example.com"}, srv.received()[0].to)

	s.Password = "wrong"
	err = s.Notify(ctx, m)
	require.True(t, notify.IsPermanent(err), "%v", err)

	// One refused recipient does not stop the others; all refused is permanent.
	srv = startSMTP(t, &smtpServer{refuse: "a@example.com"})
	s = &notify.SMTP{Addr: srv.addr, From: "l2c@example.com", TLS: notify.NoTLS}
	require.NoError(t, s.Notify(ctx, m))
	require.Equal(t, []string{"b@example.com"}, srv.received()[0].to)
	err = s.Notify(ctx, notify.Message{Key: "k2", Subject: "s", To: []notify.Person{{ID: "a", Email: "a@example.com"}}})
	require.True(t, notify.IsPermanent(err), "%v", err)

	// Nobody listening is worth retrying.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	ln.Close()
	err = (&notify.SMTP{Addr: addr, From: "l2c@example.com", TLS: notify.NoTLS}).Notify(ctx, m)
	require.Error(t, err)
	require.False(t, notify.IsPermanent(err))
}
