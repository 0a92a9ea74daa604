package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/l2c/l2c/api"
	"github.com/l2c/l2c/internal/config"
	"github.com/l2c/l2c/internal/customerimport"
	"github.com/l2c/l2c/internal/database"
	"github.com/l2c/l2c/internal/identity"
	"github.com/l2c/l2c/internal/workbook"
)

const importUsage = `usage: l2c import customers FILE [-mode all-or-nothing|accept-valid] [-dry-run] [-as USER] [-lang zh|en]

Imports a customer workbook (.xlsx, or .csv in UTF-8 or GBK) as USER (default admin)
and writes the annotated result next to FILE as FILE.result.xlsx. Exits 1 if any row
was rejected or the file could not be used.
`

// runImport is `l2c import customers FILE`.
func runImport(ctx context.Context, cfg config.Config, log *slog.Logger, args []string) error {
	fs := commandFlags("import", importUsage)
	modeFlag := fs.String("mode", "all-or-nothing", "all-or-nothing: import nothing if any row is bad; accept-valid: import the good rows")
	dry := fs.Bool("dry-run", false, "check every row, write nothing")
	as := fs.String("as", "admin", "the user the import is recorded as; must be a sales assistant, sales manager or admin")
	langFlag := fs.String("lang", "", "language of the result: zh or en (default: the language of the file's header)")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 2 || pos[0] != "customers" {
		fs.Usage()
		return errors.New("want: import customers FILE")
	}
	file := pos[1]
	mode, err := customerimport.ParseMode(*modeFlag)
	if err != nil {
		return err
	}
	var lang workbook.Lang
	if *langFlag != "" {
		l, ok := workbook.ParseLang(*langFlag)
		if !ok {
			return fmt.Errorf("-lang %q: want zh or en", *langFlag)
		}
		lang = l
	}
	lim := workbook.DefaultLimits()
	st, err := os.Stat(file)
	if err != nil {
		return err
	}
	if st.Size() > lim.MaxFileBytes {
		return workbook.TooLarge(filepath.Base(file), st.Size(), lim.MaxFileBytes)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	db, actor, err := openAs(ctx, cfg, *as)
	if err != nil {
		return err
	}
	defer db.Close()
	// An import from the command line is audited like one over HTTP.
	chain, err := auditChainFor(cfg, log)
	if err != nil {
		return err
	}
	ctx = database.WithAudit(ctx, chain, time.Now)
	im := customerimport.New(db, log, cfg.Location)
	im.Limits = lim
	// Rows of customers l2c does not know become new-customer requests, by
	// the API's own code: their approval cases run on Temporal.
	deps := api.Deps{DB: db, Location: cfg.Location, Log: log, Audit: chain}
	if !*dry {
		if deps.Temporal, err = dialTemporal(ctx, cfg, log); err != nil {
			return err
		}
		defer deps.Temporal.Close()
	}
	im.Onboard = api.OnboardImported(deps, actor)
	rep, err := im.Run(ctx, customerimport.Request{FileName: filepath.Base(file), Data: data, Mode: mode, DryRun: *dry, Lang: lang, Actor: actor})
	var fe *workbook.FileError
	if errors.As(err, &fe) {
		return errors.New(fe.Text.In(orLang(lang, workbook.English)))
	}
	if err != nil {
		return err
	}
	out := "(none)"
	if len(rep.Result) > 0 {
		out = filepath.Join(filepath.Dir(file), rep.ResultName)
		if err := writeFileAtomic(out, rep.Result); err != nil {
			return err
		}
	}
	fmt.Printf("%s\n\nimport %d: %d rows, %d accepted (%d added, %d updated, %d unchanged, %d sent for approval as new customers), %d rejected\n",
		rep.Message, rep.ID, rep.Rows.Total, rep.Rows.Accepted, rep.Rows.Inserted, rep.Rows.Updated, rep.Rows.Unchanged, rep.Rows.Requested,
		rep.Rows.Rejected)
	for i, e := range rep.Errors {
		if i == 20 {
			fmt.Printf("  … %d more in the result workbook\n", rep.ErrorCount-i)
			break
		}
		fmt.Printf("  row %d, column %s (%s): %s\n", e.Row, e.Column, e.Field, e.Message)
	}
	for _, c := range rep.Ignored {
		fmt.Printf("  column %s %q was ignored\n", c.Column, c.Header)
	}
	fmt.Printf("result: %s\n", out)
	if rep.Rows.Rejected > 0 {
		return fmt.Errorf("%d of %d rows rejected; see %s", rep.Rows.Rejected, rep.Rows.Total, out)
	}
	return nil
}

func orLang(l, def workbook.Lang) workbook.Lang {
	if l == "" {
		return def
	}
	return l
}

// parseInterleaved parses flags that may come before, between or after the
// positional arguments (l2c import customers FILE -mode accept-valid).
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

func openDB(ctx context.Context, cfg config.Config) (*database.DB, error) {
	if cfg.DatabaseURL == "" {
		return nil, errors.New("DATABASE_URL is not set")
	}
	return database.Open(ctx, cfg.DatabaseURL)
}

// openAs opens the database for a command that acts as user id (its -as),
// and finds that user; the database is closed again when that fails.
func openAs(ctx context.Context, cfg config.Config, id string) (*database.DB, identity.User, error) {
	db, err := openDB(ctx, cfg)
	if err != nil {
		return nil, identity.User{}, err
	}
	users, err := db.UsersFind(ctx, []string{id})
	if err != nil {
		db.Close()
		return nil, identity.User{}, err
	}
	for _, u := range users {
		if u.ID == id {
			return db, u, nil
		}
	}
	db.Close()
	return nil, identity.User{}, fmt.Errorf("-as %s: no such user (l2c users add creates one)", id)
}

// writeFileAtomic writes data to path through a temporary file in the same
// directory, so a reader never sees half a workbook.
func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".l2c-*.xlsx")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
