package config

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// ERP configures the ERP connector.
type ERP struct {
	// Kind is "sap" (S/4HANA, or the simulator, which speaks the same
	// protocol), "exchange" (an Excel/CSV folder) or "" (none: sync runs fail
	// with "no ERP is configured"). `l2c dev` defaults to the simulator.
	Kind string
	// SAP S/4HANA: base URL, basic-auth user or OAuth client credentials.
	SAPURL, SAPUser, SAPPassword              string
	SAPTokenURL, SAPClientID, SAPClientSecret string
	SAPClient                                 string // sap-client
	SAPSalesOrg, SAPDistChannel, SAPDivision  string
	SAPMinDiscountField, SAPCreditLimitField  string
	SAPTimeZone                               *time.Location
	// SAPPageSize is the client page ($top, 0: the connector's default);
	// SAPDayDeltas reads customer deltas by the day from the start, for
	// servers known to refuse Edm.Time literals.
	SAPPageSize  int
	SAPDayDeltas bool
	// Kingdee K3 Cloud: the site (…/k3cloud/), data centre, Web API user,
	// the organisation l2c creates in, and the server's zone.
	KingdeeURL, KingdeeAcctID, KingdeeUser, KingdeePassword string
	KingdeeOrg                                              string
	KingdeeMinDiscountField, KingdeeCreditLimitField        string
	KingdeeTimeZone                                         *time.Location
	// ExchangeDir is the folder of the Excel/CSV exchange.
	ExchangeDir string
	// Scheduler runs the sync schedules in `l2c serve` (true unless
	// L2C_SYNC_SCHEDULER=off).
	Scheduler bool
}

func (e *ERP) fromEnv() error {
	e.Kind = os.Getenv("L2C_ERP_KIND")
	switch e.Kind {
	case "", "sap", "kingdee", "exchange":
	default:
		return fmt.Errorf("L2C_ERP_KIND=%q: want sap, kingdee or exchange", e.Kind)
	}
	e.SAPURL = os.Getenv("L2C_SAP_URL")
	e.SAPUser, e.SAPPassword = os.Getenv("L2C_SAP_USER"), os.Getenv("L2C_SAP_PASSWORD")
	e.SAPTokenURL = os.Getenv("L2C_SAP_TOKEN_URL")
	e.SAPClientID, e.SAPClientSecret = os.Getenv("L2C_SAP_CLIENT_ID"), os.Getenv("L2C_SAP_CLIENT_SECRET")
	e.SAPClient = os.Getenv("L2C_SAP_CLIENT")
	area := envOr("L2C_SAP_SALES_AREA", "1010/10/00")
	parts := strings.Split(area, "/")
	if len(parts) != 3 {
		return fmt.Errorf("L2C_SAP_SALES_AREA=%q: want sales organization/distribution channel/division, e.g. 1010/10/00", area)
	}
	e.SAPSalesOrg, e.SAPDistChannel, e.SAPDivision = parts[0], parts[1], parts[2]
	e.SAPMinDiscountField = envOr("L2C_SAP_MIN_DISCOUNT_FIELD", "YY1_MinDiscount_csa")
	e.SAPCreditLimitField = envOr("L2C_SAP_CREDIT_LIMIT_FIELD", "YY1_CreditLimit_csa")
	tz := envOr("L2C_SAP_TIMEZONE", "UTC")
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return fmt.Errorf("L2C_SAP_TIMEZONE=%q: %w", tz, err)
	}
	e.SAPTimeZone = loc
	if v := os.Getenv("L2C_SAP_PAGE_SIZE"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100000 {
			return fmt.Errorf("L2C_SAP_PAGE_SIZE=%q: want a number of records from 1 to 100000", v)
		}
		e.SAPPageSize = n
	}
	switch v := envOr("L2C_SAP_DELTAS", "auto"); v {
	case "auto":
	case "day":
		e.SAPDayDeltas = true
	default:
		return fmt.Errorf("L2C_SAP_DELTAS=%q: want auto or day", v)
	}
	e.KingdeeURL, e.KingdeeAcctID = os.Getenv("L2C_KINGDEE_URL"), os.Getenv("L2C_KINGDEE_ACCT_ID")
	e.KingdeeUser, e.KingdeePassword = os.Getenv("L2C_KINGDEE_USER"), os.Getenv("L2C_KINGDEE_PASSWORD")
	e.KingdeeOrg = envOr("L2C_KINGDEE_ORG", "100")
	e.KingdeeMinDiscountField = os.Getenv("L2C_KINGDEE_MIN_DISCOUNT_FIELD")
	e.KingdeeCreditLimitField = os.Getenv("L2C_KINGDEE_CREDIT_LIMIT_FIELD")
	ktz := envOr("L2C_KINGDEE_TIMEZONE", "Asia/Shanghai")
	if e.KingdeeTimeZone, err = time.LoadLocation(ktz); err != nil {
		return fmt.Errorf("L2C_KINGDEE_TIMEZONE=%q: %w", ktz, err)
	}
	if e.Kind == "kingdee" && (e.KingdeeURL == "" || e.KingdeeAcctID == "" || e.KingdeeUser == "") {
		return fmt.Errorf("L2C_ERP_KIND=kingdee needs L2C_KINGDEE_URL, L2C_KINGDEE_ACCT_ID and L2C_KINGDEE_USER")
	}
	e.ExchangeDir = os.Getenv("L2C_EXCHANGE_DIR")
	switch v := envOr("L2C_SYNC_SCHEDULER", "on"); v {
	case "on":
		e.Scheduler = true
	case "off":
	default:
		return fmt.Errorf("L2C_SYNC_SCHEDULER=%q: want on or off", v)
	}
	if e.Kind == "sap" && e.SAPURL == "" {
		return fmt.Errorf("L2C_ERP_KIND=sap needs L2C_SAP_URL")
	}
	return nil
}
