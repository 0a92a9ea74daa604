package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/l2c/l2c/internal/audit"
	"github.com/l2c/l2c/internal/config"
	"github.com/l2c/l2c/internal/database"
	"github.com/l2c/l2c/internal/deal"
	"github.com/l2c/l2c/internal/identity"
	"github.com/l2c/l2c/internal/password"
	"github.com/l2c/l2c/workflows"
)

// demoUsers is the demo company's staff. Each one's API token is "demo-<id>"
// and, until changed, their password is demoPassword; both are for a laptop,
// never for a shared server.
const demoPassword = "l2c-demo-password"

var demoUsers = []struct {
	identity.User
	manager string
}{
	{identity.User{ID: "li", Name: "Li Na (sales manager, East)", Team: "east", Roles: []identity.Role{identity.RoleSalesManager}}, ""},
	{identity.User{ID: "he", Name: "He Jun (sales manager, North)", Team: "north", Roles: []identity.Role{identity.RoleSalesManager}}, ""},
	{identity.User{ID: "wang", Name: "Wang Wei (sales rep)", Team: "east", Roles: []identity.Role{identity.RoleSales}}, "li"},
	{identity.User{ID: "liu", Name: "Liu Yang (sales rep)", Team: "north", Roles: []identity.Role{identity.RoleSales}}, "he"},
	{identity.User{ID: "zhao", Name: "Zhao Min (sales assistant)", Team: "east", Roles: []identity.Role{identity.RoleSalesAssistant}}, "li"},
	{identity.User{ID: "chen", Name: "Chen Jing (market management)", Roles: []identity.Role{identity.RoleMarketManager}}, ""},
	{identity.User{ID: "sun", Name: "Sun Li (finance)", Roles: []identity.Role{identity.RoleFinance}}, ""},
	{identity.User{ID: "zhou", Name: "Zhou Qiang (delivery)", Roles: []identity.Role{identity.RoleDelivery}}, ""},
	{identity.User{ID: "wu", Name: "Wu Fang (collections)", Roles: []identity.Role{identity.RoleCollector}}, ""},
	{identity.User{ID: "admin", Name: "Administrator", Roles: []identity.Role{identity.RoleAdmin}}, ""},
}

// runSeed loads the demo staff and a few open deals. It is idempotent, so
// `l2c dev` runs it on every start: users are upserted and demo deals have
// fixed IDs whose workflows are started at most once.
func runSeed(ctx context.Context, cfg config.Config, log *slog.Logger) error {
	db, tc, err := connect(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer db.Close()
	defer tc.Close()
	demoHash, err := password.Hash(demoPassword, password.Default)
	if err != nil {
		return err
	}
	for _, u := range demoUsers {
		if err := db.UserUpsert(ctx, u.User, u.manager, "demo-"+u.ID); err != nil {
			return err
		}
		if err := db.UserSetDemoPassword(ctx, u.ID, demoHash); err != nil {
			return err
		}
	}
	// The simulator's three demo customers belong to wang and liu, so their
	// terms and changes of terms can be tried; the ERP sync fills in the rest.
	for _, c := range []struct{ code, name, owner string }{{"C1001", "Suzhou Precision Parts Co.", "wang"},
		{"C1002", "Ningbo Auto Components", "wang"}, {"C1003", "Wuxi Textile Machinery", "liu"}} {
		if err := db.CustomerOwnerDefault(ctx, c.code, c.name, c.owner); err != nil {
			return err
		}
	}
	wang := demoUsers[2].User
	openings := []deal.Opening{
		{Title: "CNC spindles for Line 3", Customer: deal.Customer{Code: "C1001", Name: "Suzhou Precision Parts Co."},
			ExpectedAmount: 48000000, PurchaseTimeframe: deal.Timeframe3Months},
		{Title: "Hydraulic presses (tender)", Customer: deal.Customer{Code: "C1002", Name: "Ningbo Auto Components"},
			Tendered: true, ExpectedAmount: 260000000, PurchaseTimeframe: deal.Timeframe6Months},
		// wang's own customer: a deal may name only a customer its opener sees.
		{Title: "Spare gearboxes", Customer: deal.Customer{Code: "C1001", Name: "Suzhou Precision Parts Co."},
			ExpectedAmount: 9500000, PurchaseTimeframe: deal.TimeframeNow,
			Owners: deal.Owners{Sales: "wang", Delivery: "zhou", Payment: "wu"}},
	}
	for i, o := range openings {
		d, opened, err := deal.Open(fmt.Sprintf("DEMO-%d", i+1), o, wang, time.Now().UTC())
		if err != nil {
			return fmt.Errorf("demo deal %d: %w", i+1, err)
		}
		_, err = tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
			ID: workflows.DealWorkflowID(d.ID), TaskQueue: workflows.TaskQueue,
			WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		}, workflows.DealWorkflow, workflows.DealInput{Deal: d, Opened: opened})
		var started *serviceerror.WorkflowExecutionAlreadyStarted
		if err != nil && !errors.As(err, &started) {
			return fmt.Errorf("start demo deal %s: %w", d.ID, err)
		}
	}
	log.Info("demo data loaded", "users", len(demoUsers), "deals", len(openings))
	return nil
}

// runUsers manages users from the command line: `l2c users add`.
const usersUsage = `usage:
  l2c users add -id ID -name NAME -roles ROLE[,ROLE] [-team TEAM] [-manager ID] [-email EMAIL]
  l2c users password -id ID     (reads the new password from the first line of standard input)
  l2c users disable -id ID | l2c users enable -id ID`

func runUsers(ctx context.Context, cfg config.Config, args []string) error {
	if len(args) == 0 {
		return errors.New(usersUsage)
	}
	switch args[0] {
	case "add":
	case "password", "disable", "enable":
		return runUserAccount(ctx, cfg, args)
	default:
		return errors.New(usersUsage)
	}
	fs := flag.NewFlagSet("users add", flag.ContinueOnError)
	id := fs.String("id", "", "user ID: lower-case letters, digits, dot, dash, underscore")
	name := fs.String("name", "", "display name")
	roles := fs.String("roles", "", "comma-separated roles: "+rolesList())
	team := fs.String("team", "", "team (sales office)")
	manager := fs.String("manager", "", "the user's manager's ID")
	email := fs.String("email", "", "email address, for single sign-on (matched only when the provider verified it)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	u := identity.User{ID: *id, Name: *name, Team: *team}
	for _, r := range strings.Split(*roles, ",") {
		role := identity.Role(strings.TrimSpace(r))
		if !role.Valid() {
			return fmt.Errorf("-roles: %q is not a role; want %s", r, rolesList())
		}
		u.Roles = append(u.Roles, role)
	}
	if u.ID == "" || u.Name == "" {
		return errors.New("-id and -name are required")
	}
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return err
	}
	token := "l2c_" + base64.RawURLEncoding.EncodeToString(secret)
	a, err := openUserAudit(ctx, cfg, u.ID)
	if err != nil {
		return err
	}
	defer a.db.Close()
	// The token is not in the entry.
	if err := a.change(ctx, "user.save", map[string]any{"name": u.Name, "team": u.Team, "roles": u.Roles, "manager": *manager, "new_token": true},
		func(ctx context.Context) error { return a.db.UserUpsert(ctx, u, *manager, token) }); err != nil {
		return err
	}
	if *email != "" {
		// UserEmailSet runs on its own connection: the entry is appended only
		// once the address is set.
		if err := a.change(ctx, "user.email_set", map[string]string{"email": *email},
			func(ctx context.Context) error { return a.db.UserEmailSet(ctx, u.ID, *email) }); err != nil {
			return err
		}
	}
	fmt.Printf("user %s saved; API token (shown once): %s\n", u.ID, token)
	return nil
}

// runUserAccount sets a user's password or disables or enables them. Either
// ends the sessions they have open; disabling also stops their API tokens.
func runUserAccount(ctx context.Context, cfg config.Config, args []string) error {
	fs := flag.NewFlagSet("users "+args[0], flag.ContinueOnError)
	id := fs.String("id", "", "user ID")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *id == "" {
		return errors.New("-id is required")
	}
	a, err := openUserAudit(ctx, cfg, *id)
	if err != nil {
		return err
	}
	defer a.db.Close()
	switch args[0] {
	case "password":
		line, err := bufio.NewReader(os.Stdin).ReadString('\n')
		if err != nil && line == "" {
			return errors.New("give the new password on standard input")
		}
		pw := strings.TrimRight(line, "\r\n")
		if err := password.Check(pw, *id); err != nil {
			return fmt.Errorf("the password %w", err)
		}
		hash, err := password.Hash(pw, password.Default)
		if err != nil {
			return err
		}
		// As when a user changes it: sessions end and API tokens are revoked.
		if err := a.change(ctx, "user.password_set", nil, func(ctx context.Context) error {
			return a.db.UserSetPassword(ctx, *id, hash, true, a.now)
		}); err != nil {
			return err
		}
		fmt.Printf("password of %s set; their open sessions are ended and their API tokens revoked\n", *id)
	default:
		if err := a.change(ctx, "user."+args[0]+"d", nil, func(ctx context.Context) error {
			return a.db.UserSetDisabled(ctx, *id, args[0] == "disable", a.now)
		}); err != nil {
			return err
		}
		fmt.Printf("%s %sd\n", *id, args[0])
	}
	return nil
}

// userAudit records the changes `l2c users` makes to one user, each with its
// audit entry in the same transaction (InTxAudited), as the API does: no
// change without its record.
type userAudit struct {
	db    *database.DB
	chain audit.Chain
	user  string
	who   string
	now   time.Time
}

// openUserAudit opens the database and the audit trail for changes to user:
// the trail's key first, as serve and the worker do (connectAudited), so a
// command without a key fit for production touches nothing.
func openUserAudit(ctx context.Context, cfg config.Config, user string) (userAudit, error) {
	chain, err := auditChainFor(cfg, nil)
	if err != nil {
		return userAudit{}, err
	}
	db, err := openDB(ctx, cfg)
	if err != nil {
		return userAudit{}, err
	}
	return userAudit{db: db, chain: chain, user: user, who: cliActor(), now: time.Now()}, nil
}

// change makes change and appends its entry, action with detail (none when
// nil), in one transaction.
func (a userAudit) change(ctx context.Context, action string, detail any, change func(context.Context) error) error {
	return a.db.InTxAudited(ctx, a.chain, func(ctx context.Context) (audit.Entry, error) {
		if err := change(ctx); err != nil {
			return audit.Entry{}, err
		}
		e := audit.Entry{At: a.now, Actor: a.who, Action: action, ObjectType: "user", ObjectID: a.user}
		if detail != nil {
			e.Detail, _ = json.Marshal(detail)
		}
		return e, nil
	})
}

func rolesList() string {
	names := make([]string, len(identity.Roles))
	for i, r := range identity.Roles {
		names[i] = string(r)
	}
	return strings.Join(names, ", ")
}

// cliActor is who account changes from the command line are recorded as in
// the audit trail: the operating-system user who ran the command.
func cliActor() string {
	if u := os.Getenv("USER"); u != "" {
		return "cli:" + u
	}
	return "cli"
}
