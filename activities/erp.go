package activities

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/l2c/l2c/connectors"
	"github.com/l2c/l2c/internal/contract"
	"github.com/l2c/l2c/internal/database"
	"github.com/l2c/l2c/internal/deal"
	"github.com/l2c/l2c/internal/money"
)

// Application error types of ERP activities. The non-retryable ones name
// failures a retry cannot fix; the workflow (or person) decides what next.
const (
	ErrTypeERPInvalid     = "ERPInvalid"     // the ERP refused the request, or no ERP is configured
	ErrTypeERPNotFound    = "ERPNotFound"    // the record does not exist in the ERP
	ErrTypeERPConflict    = "ERPConflict"    // someone changed the record since it was read (stale ETag)
	ErrTypeERPUnavailable = "ERPUnavailable" // retryable: slow, down or rate limiting
)

// SyncCounts are a sync run's counts (rows read, inserted, …).
type SyncCounts = database.SyncCounts

// ERP holds the ERP connector and what the sync and write-backs need beside it.
type ERP struct {
	Conn     connectors.ERP // nil when no ERP is configured: every ERP activity then fails, non-retryably
	DB       *database.DB
	Temporal client.Client // signals deals; checks whether a sync run still lives
	Log      *slog.Logger
	// Overlap is subtracted from each run's high-water mark to form the next
	// run's lower bound, so rows whose stamps were written late (clock skew,
	// long transactions in the ERP) are read again rather than missed. 10
	// minutes by default.
	Overlap time.Duration
	// ChunkBudget bounds one SyncChunk so it reports back to its workflow
	// regularly (2 minutes by default).
	ChunkBudget time.Duration
}

func (a *ERP) overlap() time.Duration {
	if a.Overlap > 0 {
		return a.Overlap
	}
	return 10 * time.Minute
}

func (a *ERP) log() *slog.Logger {
	if a.Log != nil {
		return a.Log
	}
	return slog.Default()
}

// erpError turns a connector error into what Temporal should do with it.
func erpError(err error) error {
	if err == nil {
		return nil
	}
	var typ string
	switch {
	case errors.Is(err, connectors.ErrInvalid):
		typ = ErrTypeERPInvalid
	case errors.Is(err, connectors.ErrNotFound):
		typ = ErrTypeERPNotFound
	case errors.Is(err, connectors.ErrConflict):
		typ = ErrTypeERPConflict
	case errors.Is(err, connectors.ErrRateLimited), errors.Is(err, connectors.ErrUnavailable):
		return temporal.NewApplicationErrorWithOptions(err.Error(), ErrTypeERPUnavailable,
			temporal.ApplicationErrorOptions{Cause: err, NextRetryDelay: connectors.RetryAfter(err)})
	default:
		return err
	}
	return temporal.NewNonRetryableApplicationError(err.Error(), typ, err)
}

func (a *ERP) conn() (connectors.ERP, error) {
	if a.Conn == nil {
		return nil, temporal.NewNonRetryableApplicationError("no ERP is configured (set L2C_ERP_KIND)", ErrTypeERPInvalid, nil)
	}
	return a.Conn, nil
}

// --- sync runs ---

// BeginSyncRunInput names the run (its workflow ID) and why it runs.
type BeginSyncRunInput struct {
	RunID       string
	Entity      string
	Trigger     string
	RequestedBy string
}

// BeginSyncRunResult says whether the run may go on.
type BeginSyncRunResult struct {
	Skipped bool
	HeldBy  string // the run still going that this one must not overlap
}

// BeginSyncRun records the run and makes it the entity's only running run. A
// run whose workflow has ended without finishing (terminated, timed out) no
// longer holds the entity. Safe to retry.
func (a *ERP) BeginSyncRun(ctx context.Context, in BeginSyncRunInput) (BeginSyncRunResult, error) {
	run := database.SyncRun{ID: in.RunID, Entity: in.Entity, Trigger: in.Trigger, RequestedBy: in.RequestedBy}
	for range 2 {
		holder, err := a.DB.SyncRunClaim(ctx, run)
		if err != nil {
			if errors.Is(err, database.ErrNotFound) {
				return BeginSyncRunResult{}, temporal.NewNonRetryableApplicationError("unknown sync entity "+in.Entity, ErrTypeERPInvalid, err)
			}
			return BeginSyncRunResult{}, err
		}
		if holder == "" {
			return BeginSyncRunResult{}, nil
		}
		alive, err := a.running(ctx, holder)
		if err != nil {
			return BeginSyncRunResult{}, err
		}
		if alive {
			if err := a.DB.SyncRunSkip(ctx, run, "run "+holder+" is still going"); err != nil {
				return BeginSyncRunResult{}, err
			}
			return BeginSyncRunResult{Skipped: true, HeldBy: holder}, nil
		}
		a.log().WarnContext(ctx, "sync: taking over from a run that ended without finishing", "entity", in.Entity, "stale", holder)
		if err := a.DB.SyncRunAbandon(ctx, in.Entity, holder, "its workflow ended without finishing the run"); err != nil {
			return BeginSyncRunResult{}, err
		}
	}
	return BeginSyncRunResult{}, fmt.Errorf("sync %s: could not claim the entity", in.Entity)
}

// running reports whether the workflow with ID id is still running.
func (a *ERP) running(ctx context.Context, id string) (bool, error) {
	d, err := a.Temporal.DescribeWorkflowExecution(ctx, id, "")
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("describe sync run %s: %w", id, err)
	}
	return d.WorkflowExecutionInfo.Status == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING, nil
}

// position is an entity's sync checkpoint, stored as JSON text in
// sync_checkpoints. Between runs only Since matters: the next run reads what
// changed from there. During a run it also holds the run, the ERP's cursor to
// its next page and the counts so far, saved with every batch, so a run
// resumes where it stopped and its counts stay exact.
type position struct {
	Since    time.Time  `json:"since"`
	Run      string     `json:"run,omitempty"`
	RunSince time.Time  `json:"run_since,omitzero"`
	Next     string     `json:"next,omitempty"`
	High     time.Time  `json:"high,omitzero"`
	Started  time.Time  `json:"started,omitzero"`
	Done     bool       `json:"done,omitempty"`
	Counts   SyncCounts `json:"counts"`
}

func (a *ERP) loadPosition(ctx context.Context, entity string) (position, error) {
	raw, err := a.DB.CheckpointGet(ctx, entity)
	if err != nil || raw == "" {
		return position{}, err
	}
	var p position
	if err := json.Unmarshal([]byte(raw), &p); err != nil {
		return position{}, fmt.Errorf("checkpoint %s is not readable (%q): %w", entity, raw, err)
	}
	return p, nil
}

func checkpoint(entity string, p position) *database.Checkpoint {
	b, _ := json.Marshal(p)
	return &database.Checkpoint{Entity: entity, Position: string(b)}
}

// SyncChunkInput asks for the next stretch of a run.
type SyncChunkInput struct {
	RunID  string
	Entity string
	// StartedAt is when the run started (workflow time); the next run's lower
	// bound never passes it, so rows changed while this run pages are read again.
	StartedAt time.Time
	// MaxPages bounds the chunk (0: until ChunkBudget is spent).
	MaxPages int
}

// SyncChunkResult is the run's progress: counts since it started, and
// whether it has read the last page.
type SyncChunkResult struct {
	Counts SyncCounts
	Done   bool
	Since  time.Time
}

// SyncChunk reads pages of changes since the entity's checkpoint and upserts
// them, each page in one transaction with the checkpoint. While a page is
// being written the next is already being fetched. It heartbeats after each
// page; killed at any point, a retry resumes after the last page written.
//
// A failed chunk is recorded on the run (failed attempts, last error) before
// Temporal retries it, so the run shows what is wrong while it waits.
func (a *ERP) SyncChunk(ctx context.Context, in SyncChunkInput) (SyncChunkResult, error) {
	res, err := a.syncChunk(ctx, in)
	if err != nil {
		// The chunk's context may be what ended it; the record must still be made.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		why := fmt.Sprintf("attempt %d: %v", activity.GetInfo(ctx).Attempt, err)
		if rerr := a.DB.SyncRunAttemptFailed(rctx, in.RunID, why); rerr != nil {
			a.log().WarnContext(ctx, "sync: failed attempt not recorded", "run", in.RunID, "err", rerr)
		}
	}
	return res, err
}

func (a *ERP) syncChunk(ctx context.Context, in SyncChunkInput) (SyncChunkResult, error) {
	conn, err := a.conn()
	if err != nil {
		return SyncChunkResult{}, err
	}
	switch in.Entity {
	case connectors.EntityCustomers:
		return syncChunk(ctx, a, in, conn.CustomersChanged, customerRow, a.DB.CustomersUpsert)
	case connectors.EntityInvoices:
		return syncChunk(ctx, a, in, conn.InvoicesChanged, invoiceRow, a.DB.InvoicesUpsert)
	case connectors.EntityPayments:
		return syncChunk(ctx, a, in, conn.PaymentsChanged, paymentRow, a.DB.PaymentsUpsert)
	}
	return SyncChunkResult{}, temporal.NewNonRetryableApplicationError("unknown sync entity "+in.Entity, ErrTypeERPInvalid, nil)
}

// mapped is one ERP record as a database row, with its key and change stamp.
type mapped[R any] struct {
	row   R
	key   string
	stamp time.Time
}

func customerRow(c connectors.Customer) mapped[database.Customer] {
	changed := c.ChangedAt
	return mapped[database.Customer]{key: c.Code, stamp: c.ChangedAt, row: database.Customer{Code: c.Code, Name: c.Name,
		TaxID: c.TaxID, Address: c.Address, Phone: c.Phone, PaymentTerms: c.PaymentTerms, MinDiscountBP: c.MinDiscountBP,
		CreditLimit: c.CreditLimit, Currency: orCNY(c.Currency), Blocked: c.Blocked, Source: "erp",
		ERPChangedAt: &changed, ERPETag: c.ETag}}
}

func invoiceRow(v connectors.Invoice) mapped[database.ERPInvoice] {
	return mapped[database.ERPInvoice]{key: v.Number, stamp: v.ChangedAt, row: database.ERPInvoice{Number: v.Number,
		CustomerCode: v.Customer, SalesOrder: v.SalesOrder, Amount: v.Amount, Currency: v.Currency, IssuedOn: v.IssuedOn,
		DueOn: v.DueOn, Cancelled: v.Cancelled, ERPChangedAt: v.ChangedAt}}
}

func paymentRow(p connectors.Payment) mapped[database.ERPPayment] {
	return mapped[database.ERPPayment]{key: p.Reference, stamp: p.ChangedAt, row: database.ERPPayment{Reference: p.Reference,
		InvoiceNo: p.InvoiceNo, CustomerCode: p.Customer, Amount: p.Amount, Currency: p.Currency, ReceivedOn: p.ReceivedOn,
		ERPChangedAt: p.ChangedAt}}
}

func orCNY(c string) string {
	if c == "" {
		return money.DefaultCurrency
	}
	return c
}

// readAhead is how many pages the reader may hold ready beyond the one it is
// reading. One is enough to keep the ERP and PostgreSQL busy at once; a page
// of 5,000 business partners is about 16 MB, and with two ahead a
// 1,000,000-customer sync peaked at 209 MB (one ahead: 178 MB, the target is
// 200; sync_nopaging_peak_mb).
const readAhead = 1

type fetched[T any] struct {
	page connectors.Page[T]
	err  error
}

func syncChunk[T, R any](ctx context.Context, a *ERP, in SyncChunkInput,
	read func(context.Context, time.Time, string) (connectors.Page[T], error),
	toRow func(T) mapped[R],
	upsert func(context.Context, []R, *database.Checkpoint) (database.UpsertCounts, error),
) (SyncChunkResult, error) {
	p, err := a.loadPosition(ctx, in.Entity)
	if err != nil {
		return SyncChunkResult{}, err
	}
	if p.Run != in.RunID {
		// A new run: read from where the last finished run left off. (A run
		// that died half-way left its cursor behind; starting again from
		// Since re-reads its pages, which the upsert leaves unchanged.)
		p = position{Since: p.Since, Run: in.RunID, RunSince: p.Since, Started: in.StartedAt}
	}
	if p.Done {
		return SyncChunkResult{Counts: p.Counts, Done: true, Since: p.RunSince}, nil
	}
	ack, _ := a.Conn.(connectors.Acknowledger)
	if ack != nil && p.Next != "" {
		// Resuming: the saved cursor is committed; let the source know (again).
		if err := ack.Acknowledge(ctx, in.Entity, p.Next); err != nil {
			return SyncChunkResult{}, erpError(err)
		}
	}
	budget := a.ChunkBudget
	if budget <= 0 {
		budget = 2 * time.Minute
	}
	deadline := time.Now().Add(budget)
	fetchCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	// Pages are read ahead of the writer by a goroutine of their own, so the
	// ERP (and parsing its answers) and PostgreSQL work at the same time and
	// a slow page on either side is absorbed by the queue rather than stalling
	// the other. Pages read ahead and not written are simply read again by
	// the next chunk: only what is written moves the checkpoint.
	since := p.RunSince
	fetch := func(cursor string) <-chan fetched[T] {
		ch := make(chan fetched[T], readAhead)
		go func() {
			defer close(ch)
			for {
				pg, err := read(fetchCtx, since, cursor)
				select {
				case ch <- fetched[T]{pg, err}:
				case <-fetchCtx.Done():
					return
				}
				if err != nil || pg.Next == "" {
					return
				}
				cursor = pg.Next
			}
		}()
		return ch
	}
	pending := fetch(p.Next)
	restarted := false
	for pages := 0; ; pages++ {
		waited := time.Now()
		f, ok := <-pending
		if !ok {
			return SyncChunkResult{Counts: p.Counts, Since: p.RunSince}, ctx.Err()
		}
		fetchWait := time.Since(waited)
		if f.err != nil && p.Next != "" && !restarted && errors.Is(f.err, connectors.ErrInvalid) {
			// The ERP no longer knows the cursor (it expired while the run was
			// down): page again from the run's lower bound.
			a.log().WarnContext(ctx, "sync: cursor refused, restarting the run's paging", "entity", in.Entity, "err", f.err)
			restarted, p.Next = true, ""
			pending = fetch("")
			pages--
			continue
		}
		if f.err != nil {
			return SyncChunkResult{Counts: p.Counts, Since: p.RunSince}, erpError(fmt.Errorf("sync %s: %w", in.Entity, f.err))
		}
		more := f.page.Next != "" && (in.MaxPages == 0 || pages+1 < in.MaxPages) && time.Now().Before(deadline)
		// Later rows win within a page: the upsert needs unique keys.
		rows := make([]R, 0, len(f.page.Rows))
		at := make(map[string]int, len(f.page.Rows))
		for _, rec := range f.page.Rows {
			m := toRow(rec)
			if m.stamp.After(p.High) {
				p.High = m.stamp
			}
			if i, dup := at[m.key]; dup {
				rows[i] = m.row
				continue
			}
			at[m.key] = len(rows)
			rows = append(rows, m.row)
		}
		if len(f.page.Rejected) > 0 {
			rej := make([]database.SyncReject, len(f.page.Rejected))
			for i, r := range f.page.Rejected {
				rej[i] = database.SyncReject{Key: r.Key, Reason: r.Reason}
				if rej[i].Key == "" {
					rej[i].Key = fmt.Sprintf("page %d row ?%d", p.Counts.Pages+1, i+1)
				}
			}
			if err := a.DB.SyncRejectsAdd(ctx, in.RunID, rej); err != nil {
				return SyncChunkResult{Counts: p.Counts, Since: p.RunSince}, err
			}
		}
		p.Next = f.page.Next
		p.Counts.Pages++
		p.Counts.Read += int64(len(f.page.Rows) + len(f.page.Rejected))
		p.Counts.Rejected += int64(len(f.page.Rejected))
		if p.Next == "" {
			p.Done = true
			p.Since = nextSince(p, a.overlap())
		}
		wrote := time.Now()
		// What the batch did is known only inside its transaction; the
		// checkpoint and the run's record are written there with the batch's
		// counts included, so they commit with the rows they count (a worker
		// killed between the two left runs reporting fewer rows than they wrote).
		dups := int64(len(f.page.Rows) - len(rows))
		base := p
		cp := checkpoint(in.Entity, p)
		cp.Run, cp.RunSince = in.RunID, &p.RunSince
		cp.Commit = func(n database.UpsertCounts) (string, SyncCounts) {
			q := withBatch(base, n, dups)
			return checkpoint(in.Entity, q).Position, q.Counts
		}
		n, err := upsert(ctx, rows, cp)
		a.log().DebugContext(ctx, "sync: page", "entity", in.Entity, "page", p.Counts.Pages, "rows", len(rows),
			"waited_for_erp", fetchWait, "write", time.Since(wrote))
		if err != nil {
			return SyncChunkResult{}, fmt.Errorf("sync %s: write page %d: %w", in.Entity, p.Counts.Pages, err)
		}
		p = withBatch(base, n, dups)
		if ack != nil {
			if err := ack.Acknowledge(ctx, in.Entity, p.Next); err != nil {
				return SyncChunkResult{}, erpError(err)
			}
		}
		activity.RecordHeartbeat(ctx, p.Counts)
		if !more {
			return SyncChunkResult{Counts: p.Counts, Done: p.Done, Since: p.RunSince}, nil
		}
	}
}

// withBatch is p with what one batch did added to its counts; dups are rows
// of the page superseded by a later row with the same key.
func withBatch(p position, n database.UpsertCounts, dups int64) position {
	p.Counts.Inserted += n.Inserted
	p.Counts.Updated += n.Updated
	p.Counts.Unchanged += n.Unchanged + dups
	return p
}

// nextSince is where the next run starts reading: the newest stamp seen, but
// never later than this run's start (rows changed while it paged may have
// been passed), less the overlap window, and never before this run's own bound.
func nextSince(p position, overlap time.Duration) time.Time {
	if p.High.IsZero() {
		return p.RunSince
	}
	hw := p.High
	if !p.Started.IsZero() && p.Started.Before(hw) {
		hw = p.Started
	}
	hw = hw.Add(-overlap)
	if hw.Before(p.RunSince) {
		return p.RunSince
	}
	return hw.UTC()
}

// FinishSyncRunInput closes a run.
type FinishSyncRunInput struct {
	RunID     string
	Entity    string
	Error     string // empty when the run succeeded
	Signalled int64
}

// FinishSyncRun records the run's outcome with the counts its checkpoint holds
// and lets the next run of the entity start.
func (a *ERP) FinishSyncRun(ctx context.Context, in FinishSyncRunInput) (SyncCounts, error) {
	p, err := a.loadPosition(ctx, in.Entity)
	if err != nil {
		return SyncCounts{}, err
	}
	r := database.SyncRun{ID: in.RunID, Entity: in.Entity, Status: database.SyncSucceeded, Error: in.Error}
	if p.Run == in.RunID {
		r.SyncCounts = p.Counts
	}
	r.Signalled = in.Signalled
	if in.Error != "" {
		r.Status = database.SyncFailed
	}
	if err := a.DB.SyncRunFinish(ctx, r); err != nil {
		return SyncCounts{}, err
	}
	a.log().InfoContext(ctx, "sync run finished", "run", in.RunID, "status", r.Status, "read", r.Read,
		"inserted", r.Inserted, "updated", r.Updated, "unchanged", r.Unchanged, "rejected", r.Rejected, "error", in.Error)
	return r.SyncCounts, nil
}

// --- telling deals what the ERP holds ---

// SignalDealsInput names the queue to drain and how deals' workflows are
// addressed (from the workflow contract, which activities cannot import).
type SignalDealsInput struct {
	Kind string // invoices, payments
	// WorkflowID is read by no current worker (deals' workflows are
	// contract.DealWorkflowID); the sync still sends "deal/%s" for workers of
	// earlier releases during a rolling upgrade.
	WorkflowID string
	Signal     string
	BatchSize  int
}

// SignalDealsResult counts the signals sent, and the records whose deal's
// workflow has ended (a closed deal), which are dropped.
type SignalDealsResult struct {
	Sent  int64
	Ended int64
}

// SignalDeals first links invoices and payments to deals whose orders gained
// their ERP number since, then sends every queued record to its deal's
// workflow and clears it from the queue. Sending twice is harmless: deals
// record an invoice or payment once by number or reference.
func (a *ERP) SignalDeals(ctx context.Context, in SignalDealsInput) (SignalDealsResult, error) {
	var res SignalDealsResult
	if _, err := a.DB.ERPRecordsMatchDeals(ctx); err != nil {
		return res, err
	}
	size := in.BatchSize
	if size <= 0 {
		size = 500
	}
	for {
		batch, err := a.DB.DealSignalsPending(ctx, in.Kind, size)
		if err != nil {
			return res, err
		}
		if len(batch) == 0 {
			// Payments and invoices change exposures: the open credit holds
			// check again (few; each reads its own customer's figures).
			if _, err := recheckCreditHolds(ctx, a.DB, a.Temporal, a.log(), ""); err != nil {
				a.log().WarnContext(ctx, "sync: credit holds not asked to re-check", "err", err)
			}
			return res, nil
		}
		for _, s := range batch {
			rec := deal.ERPRecord{}
			if v := s.Invoice; v != nil {
				rec.Invoice = &deal.Invoice{Number: v.Number, Amount: money.Amount(v.Amount), IssuedOn: deal.DateOf(v.IssuedOn.UTC()),
					DueOn: deal.DateOf(v.DueOn.UTC()), RecordedBy: "erp", RecordedAt: v.ERPChangedAt.UTC()}
			} else {
				v := s.Payment
				rec.Payment = &deal.Payment{Reference: v.Reference, Amount: money.Amount(v.Amount),
					ReceivedOn: deal.DateOf(v.ReceivedOn.UTC()), InvoiceNo: v.InvoiceNo, RecordedBy: "erp",
					RecordedAt: v.ERPChangedAt.UTC()}
			}
			err := a.Temporal.SignalWorkflow(ctx, contract.DealWorkflowID(s.DealID), "", in.Signal, rec)
			var nf *serviceerror.NotFound
			switch {
			case errors.As(err, &nf):
				res.Ended++
				a.log().InfoContext(ctx, "sync: deal's workflow has ended; not told", "deal", s.DealID, "record", s.Key())
			case err != nil:
				return res, fmt.Errorf("signal deal %s about %s: %w", s.DealID, s.Key(), err)
			default:
				res.Sent++
			}
		}
		if err := a.DB.DealSignalsDone(ctx, in.Kind, batch); err != nil {
			return res, err
		}
		activity.RecordHeartbeat(ctx, res)
	}
}
