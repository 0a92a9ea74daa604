// Package config reads l2c's settings from environment variables. Every variable
// read here is listed in the README; defaults suit one developer machine.
package config

import (
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/l2c/l2c/internal/credit"
	"github.com/l2c/l2c/internal/money"
)

// Config is everything the l2c binary needs to know about its surroundings.
type Config struct {
	// DatabaseURL is a libpq-style URL. Empty means "let `l2c dev` find or start one".
	DatabaseURL string
	// TemporalAddress is host:port of the Temporal frontend. Empty means "let
	// `l2c dev` start the dev server"; serve and worker default to 127.0.0.1:7233.
	TemporalAddress   string
	TemporalNamespace string
	// HTTPAddr is where `l2c serve` listens.
	HTTPAddr string
	// DataDir holds the private PostgreSQL cluster and Temporal's SQLite file in dev.
	DataDir string
	// Location is the business time zone: dates without a time ("valid until
	// 2026-12-31") end at midnight here, and pages show times here.
	Location *time.Location
	LogLevel slog.Level
	// ERP is which ERP l2c syncs with and writes back to (see connectors/).
	ERP ERP
	// SessionTTL and SessionIdle bound a login session: its whole life, and
	// how long it survives unused.
	SessionTTL, SessionIdle time.Duration
	// OIDC is the company's single sign-on, if L2C_OIDC_ISSUER is set.
	OIDC OIDC
	// Dev is set by `l2c dev`: only there may L2C_AUDIT_KEY be missing (the
	// development key stands in). Never read from the environment.
	Dev bool
	// AuditCheckpointFile is where signed checkpoints of the audit trail's
	// head are appended (L2C_AUDIT_CHECKPOINT_FILE; empty: to the log only),
	// every AuditCheckpointEvery (L2C_AUDIT_CHECKPOINT_EVERY, 15m) by serve.
	AuditCheckpointFile  string
	AuditCheckpointEvery time.Duration
	// Temporal's TLS (mTLS with a client certificate, or server TLS with
	// an API key): TEMPORAL_TLS_CERT, TEMPORAL_TLS_KEY and TEMPORAL_TLS_CA
	// are PEM files, TEMPORAL_API_KEY an API key (Temporal Cloud). Unset:
	// plain gRPC, for a frontend reachable only on a private network.
	TemporalTLSCert, TemporalTLSKey, TemporalTLSCA, TemporalAPIKey string
	// ImportsAtOnce is how many workbook imports one serve replica runs at
	// once (L2C_IMPORTS_AT_ONCE, 2); the next is answered 429.
	ImportsAtOnce int
	// CreditPolicy is how long past due an invoice may be, per value class,
	// before the customer's new orders are held (L2C_CREDIT_OVERDUE_DAYS,
	// "A=60,B=30,C=15,other=30"); CreditReleaseDays is how long a manual
	// release lasts when finance gives no expiry (L2C_CREDIT_RELEASE_DAYS, 30).
	CreditPolicy      credit.Policy
	CreditReleaseDays int
	// PoolRecycle is the pool clock's cron spec (L2C_POOL_RECYCLE; "off": not run).
	PoolRecycle string
	// Classify is the value classes' nightly cron spec (L2C_CLASSIFY; "off": not run).
	Classify string
	// FollowUps is the follow-up clock's cron spec (L2C_FOLLOW_UPS; "off": not run).
	FollowUps string
	// DeliveryGrace is how many working days past a promised delivery day
	// the delivery owner's manager is told (L2C_DELIVERY_GRACE, 2);
	// ShipmentPoll how often the ERP is asked for an order's shipments
	// (L2C_SHIPMENT_POLL, 10m). The worker's.
	DeliveryGrace int
	ShipmentPoll  time.Duration
	// BigDealAmount and BigDealDays: management's My work shows the contracts
	// of at least L2C_BIG_DEAL_AMOUNT (100000.00, in the deal's currency)
	// signed in the last L2C_BIG_DEAL_DAYS days (10).
	BigDealAmount money.Amount
	BigDealDays   int
}

// OIDC is an OpenID Connect provider l2c signs people in with.
type OIDC struct {
	Issuer, ClientID, ClientSecret, RedirectURL string
}

// FromEnv reads the configuration, failing on values that cannot be parsed rather
// than silently falling back.
func FromEnv() (Config, error) {
	c := Config{
		DatabaseURL:       os.Getenv("DATABASE_URL"),
		TemporalAddress:   os.Getenv("TEMPORAL_ADDRESS"),
		TemporalNamespace: envOr("TEMPORAL_NAMESPACE", "default"),
		HTTPAddr:          envOr("L2C_HTTP_ADDR", "127.0.0.1:8080"),
		DataDir:           envOr("L2C_DATA_DIR", ".data"),
	}
	tz := envOr("L2C_TIMEZONE", "Asia/Shanghai")
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return Config{}, fmt.Errorf("L2C_TIMEZONE=%q: %w", tz, err)
	}
	c.Location = loc
	if err := c.ERP.fromEnv(); err != nil {
		return Config{}, err
	}
	for _, d := range []struct {
		name, def string
		to        *time.Duration
	}{{"L2C_SESSION_TTL", "12h", &c.SessionTTL}, {"L2C_SESSION_IDLE", "30m", &c.SessionIdle},
		{"L2C_AUDIT_CHECKPOINT_EVERY", "15m", &c.AuditCheckpointEvery}, {"L2C_SHIPMENT_POLL", "10m", &c.ShipmentPoll}} {
		v, err := time.ParseDuration(envOr(d.name, d.def))
		if err != nil || v <= 0 {
			return Config{}, fmt.Errorf("%s=%q: want a positive duration such as %s", d.name, os.Getenv(d.name), d.def)
		}
		*d.to = v
	}
	c.OIDC = OIDC{Issuer: os.Getenv("L2C_OIDC_ISSUER"), ClientID: os.Getenv("L2C_OIDC_CLIENT_ID"),
		ClientSecret: os.Getenv("L2C_OIDC_CLIENT_SECRET"), RedirectURL: os.Getenv("L2C_OIDC_REDIRECT_URL")}
	if c.OIDC.Issuer != "" && (c.OIDC.ClientID == "" || c.OIDC.RedirectURL == "") {
		return Config{}, fmt.Errorf("L2C_OIDC_ISSUER is set: L2C_OIDC_CLIENT_ID and L2C_OIDC_REDIRECT_URL are needed too")
	}
	if c.ImportsAtOnce, err = wholeEnv("L2C_IMPORTS_AT_ONCE", 2, 1, 64, ""); err != nil {
		return Config{}, err
	}
	if c.CreditPolicy, err = credit.ParsePolicy(os.Getenv("L2C_CREDIT_OVERDUE_DAYS")); err != nil {
		return Config{}, fmt.Errorf("L2C_CREDIT_OVERDUE_DAYS: %w", err)
	}
	if c.CreditReleaseDays, err = wholeEnv("L2C_CREDIT_RELEASE_DAYS", 30, 1, 366, "days"); err != nil {
		return Config{}, err
	}
	if c.DeliveryGrace, err = wholeEnv("L2C_DELIVERY_GRACE", 2, 0, 60, "working days"); err != nil {
		return Config{}, err
	}
	big := envOr("L2C_BIG_DEAL_AMOUNT", "100000.00")
	if c.BigDealAmount, err = money.Parse(big); err != nil || c.BigDealAmount <= 0 {
		return Config{}, fmt.Errorf("L2C_BIG_DEAL_AMOUNT=%q: want a positive amount such as 100000.00", big)
	}
	if c.BigDealDays, err = wholeEnv("L2C_BIG_DEAL_DAYS", 10, 1, 366, "days"); err != nil {
		return Config{}, err
	}
	c.AuditCheckpointFile = os.Getenv("L2C_AUDIT_CHECKPOINT_FILE")
	if c.PoolRecycle = envOr("L2C_POOL_RECYCLE", "CRON_TZ=Asia/Shanghai 30 1 * * *"); c.PoolRecycle == "off" {
		c.PoolRecycle = ""
	}
	if c.Classify = envOr("L2C_CLASSIFY", "CRON_TZ=Asia/Shanghai 0 1 * * *"); c.Classify == "off" {
		c.Classify = ""
	}
	if c.FollowUps = envOr("L2C_FOLLOW_UPS", "CRON_TZ=Asia/Shanghai 30 8 * * *"); c.FollowUps == "off" {
		c.FollowUps = ""
	}
	c.TemporalTLSCert, c.TemporalTLSKey = os.Getenv("TEMPORAL_TLS_CERT"), os.Getenv("TEMPORAL_TLS_KEY")
	c.TemporalTLSCA, c.TemporalAPIKey = os.Getenv("TEMPORAL_TLS_CA"), os.Getenv("TEMPORAL_API_KEY")
	if (c.TemporalTLSCert == "") != (c.TemporalTLSKey == "") {
		return Config{}, fmt.Errorf("TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY go together: set both or neither")
	}
	lvl := envOr("L2C_LOG_LEVEL", "info")
	if err := c.LogLevel.UnmarshalText([]byte(strings.ToUpper(lvl))); err != nil {
		return Config{}, fmt.Errorf("L2C_LOG_LEVEL=%q: want debug, info, warn or error", lvl)
	}
	return c, nil
}

// wholeEnv reads name as a whole number from lo to hi, def when it is not
// set; unit says what it counts ("days"), for the error.
func wholeEnv(name string, def, lo, hi int, unit string) (int, error) {
	v := os.Getenv(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		if unit != "" {
			unit = " of " + unit
		}
		return 0, fmt.Errorf("%s=%q: want a whole number%s from %d to %d", name, v, unit, lo, hi)
	}
	return n, nil
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
