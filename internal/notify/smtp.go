package notify

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"slices"
	"strings"
	"time"
)

// TLSMode is how an SMTP connection is secured.
type TLSMode string

const (
	// StartTLS upgrades a plain connection (port 587 or 25); the server must offer it.
	StartTLS TLSMode = "starttls"
	// ImplicitTLS speaks TLS from the first byte (port 465, as many Chinese
	// providers expect).
	ImplicitTLS TLSMode = "tls"
	// NoTLS sends in clear: for a relay on localhost only. Passwords are never
	// sent in clear to another host (net/smtp refuses).
	NoTLS TLSMode = "none"
)

// SMTP sends each message as one e-mail to the recipients' addresses
// (users.email). Recipients without an address are left out; a message with
// no address at all fails permanently.
type SMTP struct {
	// Addr is host:port of the mail server.
	Addr string
	// Username and Password, if set, authenticate (AUTH PLAIN, or LOGIN when
	// that is all the server offers).
	Username string
	Password string
	// From is the sender, "l2c <l2c@example.com>" or a bare address.
	From string
	TLS  TLSMode
	// TLSConfig overrides certificate checks (tests, private CAs). Nil means the
	// system roots, for the host in Addr.
	TLSConfig *tls.Config
	// HelloName is the name given in EHLO; default "localhost".
	HelloName string
}

// Notify sends m. Refused recipients (a 5xx answer to RCPT) are skipped as
// long as one is accepted.
func (s *SMTP) Notify(ctx context.Context, m Message) error {
	from, err := mail.ParseAddress(s.From)
	if err != nil {
		return Permanent(fmt.Errorf("smtp: sender %q: %w", s.From, err))
	}
	var to []*mail.Address
	for _, p := range m.To {
		if p.Email != "" {
			to = append(to, &mail.Address{Name: p.Name, Address: p.Email})
		}
	}
	if len(to) == 0 {
		return Permanent(fmt.Errorf("smtp: no e-mail address for %s", m.Recipient))
	}
	host, _, err := net.SplitHostPort(s.Addr)
	if err != nil {
		return Permanent(fmt.Errorf("smtp: address %q: %w", s.Addr, err))
	}

	c, err := s.dial(ctx, host)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := s.secureAndAuth(c, host); err != nil {
		return err
	}
	if err := c.Mail(from.Address); err != nil {
		return fmt.Errorf("smtp: MAIL FROM %s: %w", from.Address, err)
	}
	var accepted []*mail.Address
	var refused []string
	for _, a := range to {
		err := c.Rcpt(a.Address)
		var te *textproto.Error
		switch {
		case err == nil:
			accepted = append(accepted, a)
		case errors.As(err, &te) && te.Code >= 500:
			refused = append(refused, fmt.Sprintf("%s: %v", a.Address, err))
		default:
			return fmt.Errorf("smtp: RCPT TO %s: %w", a.Address, err)
		}
	}
	if len(accepted) == 0 {
		return Permanent(fmt.Errorf("smtp: every recipient refused: %s", strings.Join(refused, "; ")))
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("smtp: DATA: %w", err)
	}
	if _, err := w.Write(compose(from, accepted, m)); err != nil {
		return fmt.Errorf("smtp: write message: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("smtp: message not accepted: %w", err)
	}
	// The message is accepted once DATA is answered; a failing QUIT does not undo it.
	_ = c.Quit()
	return nil
}

// dial connects within ctx's deadline, which also bounds the whole dialogue.
func (s *SMTP) dial(ctx context.Context, host string) (*smtp.Client, error) {
	var conn net.Conn
	var err error
	if s.TLS == ImplicitTLS {
		conn, err = (&tls.Dialer{Config: s.tlsConfig(host)}).DialContext(ctx, "tcp", s.Addr)
	} else {
		conn, err = (&net.Dialer{}).DialContext(ctx, "tcp", s.Addr)
	}
	if err != nil {
		return nil, fmt.Errorf("smtp: connect to %s: %w", s.Addr, err)
	}
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(DefaultSendTimeout)
	}
	_ = conn.SetDeadline(deadline)
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("smtp: greeting from %s: %w", s.Addr, err)
	}
	return c, nil
}

func (s *SMTP) secureAndAuth(c *smtp.Client, host string) error {
	hello := s.HelloName
	if hello == "" {
		hello = "localhost"
	}
	if err := c.Hello(hello); err != nil {
		return fmt.Errorf("smtp: EHLO: %w", err)
	}
	if s.TLS == StartTLS || s.TLS == "" {
		if ok, _ := c.Extension("STARTTLS"); !ok {
			return fmt.Errorf("smtp: %s does not offer STARTTLS; set L2C_SMTP_TLS=tls for port 465, or none for a local relay", s.Addr)
		}
		if err := c.StartTLS(s.tlsConfig(host)); err != nil {
			return fmt.Errorf("smtp: STARTTLS: %w", err)
		}
	}
	if s.Username == "" {
		return nil
	}
	var auth smtp.Auth = smtp.PlainAuth("", s.Username, s.Password, host)
	if ok, mechs := c.Extension("AUTH"); ok && !slices.Contains(strings.Fields(strings.ToUpper(mechs)), "PLAIN") &&
		slices.Contains(strings.Fields(strings.ToUpper(mechs)), "LOGIN") {
		auth = &loginAuth{user: s.Username, password: s.Password, host: host}
	}
	if err := c.Auth(auth); err != nil {
		var te *textproto.Error
		if errors.As(err, &te) && te.Code == 535 {
			return Permanent(fmt.Errorf("smtp: authentication refused: %w", err))
		}
		return fmt.Errorf("smtp: AUTH: %w", err)
	}
	return nil
}

func (s *SMTP) tlsConfig(host string) *tls.Config {
	cfg := &tls.Config{}
	if s.TLSConfig != nil {
		cfg = s.TLSConfig.Clone()
	}
	if cfg.ServerName == "" {
		cfg.ServerName = host
	}
	return cfg
}

// compose writes the e-mail: UTF-8 text, headers encoded for non-ASCII names
// and subjects. Date and Message-ID come from the outbox row, so a resend after
// a lost answer is the same message, which mail systems can recognise.
func compose(from *mail.Address, to []*mail.Address, m Message) []byte {
	var b bytes.Buffer
	header := func(k, v string) { fmt.Fprintf(&b, "%s: %s\r\n", k, v) }
	header("From", from.String())
	list := make([]string, len(to))
	for i, a := range to {
		list[i] = a.String()
	}
	header("To", strings.Join(list, ", "))
	header("Subject", mime.BEncoding.Encode("UTF-8", oneLine(m.Subject)))
	created := m.CreatedAt
	if created.IsZero() {
		created = time.Now()
	}
	header("Date", created.Format(time.RFC1123Z))
	sum := sha256.Sum256([]byte(m.Key))
	domain := "l2c.invalid"
	if at := strings.LastIndexByte(from.Address, '@'); at >= 0 {
		domain = from.Address[at+1:]
	}
	header("Message-ID", "<"+hex.EncodeToString(sum[:16])+"@"+domain+">")
	header("MIME-Version", "1.0")
	header("Content-Type", "text/plain; charset=UTF-8")
	header("Content-Transfer-Encoding", "quoted-printable")
	b.WriteString("\r\n")
	qp := quotedprintable.NewWriter(&b)
	text := m.Body
	if text == "" {
		text = m.Subject
	}
	_, _ = qp.Write([]byte(strings.ReplaceAll(text, "\n", "\r\n")))
	_ = qp.Close()
	b.WriteString("\r\n")
	return b.Bytes()
}

// oneLine keeps a header value on one line: a newline in a subject must not
// start a header of its own.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// loginAuth is AUTH LOGIN, which some servers offer instead of PLAIN. Like
// net/smtp's PlainAuth it refuses to send a password in clear to another host.
type loginAuth struct{ user, password, host string }

func (a *loginAuth) Start(server *smtp.ServerInfo) (string, []byte, error) {
	local := server.Name == "localhost" || server.Name == "127.0.0.1" || server.Name == "::1"
	if !server.TLS && !local {
		return "", nil, errors.New("unencrypted connection")
	}
	if server.Name != a.host {
		return "", nil, errors.New("wrong host name")
	}
	return "LOGIN", nil, nil
}

func (a *loginAuth) Next(challenge []byte, more bool) ([]byte, error) {
	if !more {
		return nil, nil
	}
	switch strings.ToLower(strings.TrimSuffix(string(challenge), ":")) {
	case "username":
		return []byte(a.user), nil
	case "password":
		return []byte(a.password), nil
	}
	return nil, fmt.Errorf("unexpected AUTH LOGIN challenge %q", challenge)
}
