package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/l2c/l2c/internal/config"
	"github.com/l2c/l2c/internal/customerimport"
	"github.com/l2c/l2c/internal/deal"
	"github.com/l2c/l2c/internal/reports"
	"github.com/l2c/l2c/internal/workbook"
)

const exportUsage = `usage: l2c export REPORT [-o FILE] [-lang zh|en] [-as USER] [report flags]

REPORT is one of:
  pipeline             every deal with its stage, owners and money (-stage, -owner)
  receivables-ageing   invoices not fully paid, by age (-as-of YYYY-MM-DD)
  stuck-reviews        open review steps, most overdue first (-kind)
  sync-runs            ERP sync runs (-entity, -since YYYY-MM-DD; default the last 30 days)
  customer-template    the customer import template
FILE defaults to the report's own name in the current directory.
`

// runExport is `l2c export REPORT`.
func runExport(ctx context.Context, cfg config.Config, log *slog.Logger, args []string) error {
	fs := commandFlags("export", exportUsage)
	out := fs.String("o", "", "the .xlsx file to write")
	langFlag := fs.String("lang", "zh", "language of the labels: zh or en")
	as := fs.String("as", "admin", "the user the report is exported for; decides what it may contain")
	stage := fs.String("stage", "", "pipeline: only deals in this stage")
	owner := fs.String("owner", "", "pipeline: only deals naming this user")
	asOf := fs.String("as-of", "", "receivables-ageing: the day (default today)")
	kind := fs.String("kind", "", "stuck-reviews: contract_review, custom_order or quote_discount")
	entity := fs.String("entity", "", "sync-runs: customers, invoices or payments")
	since := fs.String("since", "", "sync-runs: runs started on or after this day")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		fs.Usage()
		return errors.New("want: export REPORT")
	}
	lang, ok := workbook.ParseLang(*langFlag)
	if !ok {
		return fmt.Errorf("-lang %q: want zh or en", *langFlag)
	}
	if pos[0] == "customer-template" || pos[0] == "template" {
		var buf bytes.Buffer
		if err := customerimport.WriteTemplate(&buf, lang, workbook.DefaultLimits()); err != nil {
			return err
		}
		return wrote(orDefaultPath(*out, customerimport.TemplateName(lang)), buf.Bytes(), 0)
	}
	info, ok := reports.Lookup(pos[0])
	if !ok {
		fs.Usage()
		return fmt.Errorf("no report %q", pos[0])
	}
	p := reports.Params{Lang: lang, Stage: *stage, Owner: *owner, Kind: *kind, Entity: *entity}
	if p.AsOf, err = cliDay(*asOf, cfg.Location); err != nil {
		return fmt.Errorf("-as-of: %w", err)
	}
	if p.Since, err = cliDay(*since, cfg.Location); err != nil {
		return fmt.Errorf("-since: %w", err)
	}
	db, viewer, err := openAs(ctx, cfg, *as)
	if err != nil {
		return err
	}
	defer db.Close()
	start := time.Now()
	data, res, err := reports.New(db, cfg.Location).ExportBytes(ctx, info.Name, p, viewer)
	var pe *reports.ParamError
	switch {
	case errors.Is(err, reports.ErrForbidden):
		return fmt.Errorf("%s may not export %s", viewer.ID, info.Name)
	case errors.As(err, &pe):
		return fmt.Errorf("-%s: %s", strings.ReplaceAll(pe.Field, "_", "-"), pe.Message)
	case err != nil:
		return err
	}
	log.Info("report exported", "report", info.Name, "rows", res.Rows, "took", time.Since(start))
	return wrote(orDefaultPath(*out, res.FileName), data, res.Rows)
}

func orDefaultPath(path, def string) string {
	if path == "" {
		return def
	}
	return path
}

func wrote(path string, data []byte, rows int) error {
	if err := writeFileAtomic(path, data); err != nil {
		return err
	}
	if rows > 0 {
		fmt.Printf("%s: %d rows\n", path, rows)
	} else {
		fmt.Println(path)
	}
	return nil
}

// cliDay reads YYYY-MM-DD as the start of that day in loc.
func cliDay(s string, loc *time.Location) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	d, err := deal.ParseDate(s)
	if err != nil {
		return time.Time{}, err
	}
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, loc), nil
}
