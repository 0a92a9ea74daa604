// Package activities holds every side effect the workflows ask for: database
// writes, notifications and, later, ERP calls. Each activity is idempotent,
// because Temporal retries it; keys come from the workflow (deal ID, sequence).
package activities

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"go.temporal.io/sdk/temporal"

	"github.com/l2c/l2c/internal/audit"
	"github.com/l2c/l2c/internal/database"
	"github.com/l2c/l2c/internal/deal"
)

// ErrTypeRejectedByDatabase marks a write the database refused on its
// constraints: retrying cannot help, so it is not retried.
const ErrTypeRejectedByDatabase = "RejectedByDatabase"

// Deals records deal transitions.
type Deals struct {
	DB  *database.DB
	Log *slog.Logger
	// Audit chains the audit entry each transition appends, in the same
	// transaction as the transition itself.
	Audit audit.Chain
}

// SaveDealInput is one transition: the state reached, its history entry, and
// whom to tell.
type SaveDealInput struct {
	Deal    deal.Deal
	Entry   deal.HistoryEntry
	Notices []deal.Notice
	// Action is what the person asked for, when a person moved the deal; it
	// is the audit entry's detail.
	Action *deal.Action `json:",omitempty"`
}

// notifications are the notices a save queues, keyed by key (the saved
// version) and recipient: a retried save queues none twice.
func notifications(key, dealID string, notices []deal.Notice) []database.Notification {
	notes := make([]database.Notification, len(notices))
	for i, n := range notices {
		notes[i] = database.Notification{DedupeKey: key + "/" + n.Recipient,
			Recipient: n.Recipient, Subject: n.Subject, Body: n.Body, DealID: dealID}
	}
	return notes
}

// SaveDeal writes the deal's new state, its history entry and the notices to
// send, all or nothing. Replaying it with the same input changes nothing more.
func (a *Deals) SaveDeal(ctx context.Context, in SaveDealInput) error {
	notes := notifications(fmt.Sprintf("deal/%s/%d", in.Deal.ID, in.Entry.Seq), in.Deal.ID, in.Notices)
	// A deal opened for a lead customer names it by its provisional code,
	// in its workflow for good; once the ERP numbers the customer, the
	// deal's row names it by the ERP's number.
	code, err := a.DB.CustomerCodeNow(ctx, in.Deal.Customer.Code)
	if err != nil {
		return err
	}
	in.Deal.Customer.Code = code
	added, err := a.DB.DealSaveAudited(ctx, in.Deal, in.Entry, notes, a.Audit, auditEntry(in))
	if err != nil {
		return nonRetryableIfRejected(err)
	}
	// The dispatcher in `l2c serve` delivers them (internal/notify).
	for _, n := range added {
		a.Log.DebugContext(ctx, "notification queued", "to", n.Recipient, "subject", n.Subject, "deal", in.Deal.ID)
	}
	return nil
}

// auditEntry is the audit trail's record of a transition: who (the ERP's
// records, a quote expiring and the like are the system's), what, and the
// request or the history entry as detail.
func auditEntry(in SaveDealInput) *audit.Entry {
	h := in.Entry
	actor := h.Actor
	if actor == deal.ERPActor || actor == "" {
		actor = deal.SystemActor
	}
	detail := struct {
		Seq    int64        `json:"seq"`
		From   deal.Stage   `json:"from,omitempty"`
		To     deal.Stage   `json:"to"`
		Reason string       `json:"reason,omitempty"`
		Action *deal.Action `json:"request,omitempty"`
	}{h.Seq, h.From, h.To, h.Reason, in.Action}
	raw, err := json.Marshal(detail)
	if err != nil {
		raw = nil // a detail that cannot be written still leaves who did what
	}
	return &audit.Entry{At: h.At, Actor: actor, Action: "deal." + h.Action, ObjectType: "deal", ObjectID: in.Deal.ID, Detail: raw}
}

// nonRetryableIfRejected marks a write the database refused on a constraint as
// not worth retrying; anything else (a lost connection, a timeout) is retried.
func nonRetryableIfRejected(err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && strings.HasPrefix(pgErr.Code, "23") { // integrity constraint violation
		return temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeRejectedByDatabase, err)
	}
	return err
}
