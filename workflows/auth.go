package workflows

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"

	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/l2c/l2c/internal/approval"
	"github.com/l2c/l2c/internal/audit"
	"github.com/l2c/l2c/internal/deal"
	"github.com/l2c/l2c/internal/refusal"
)

// Updates carry an Actor, and anyone who can reach Temporal could send one in
// anybody's name. So the API signs each Update's input (HMAC-SHA256 over the
// workflow ID, the Update's name, the Update ID and the input's canonical
// JSON without its signature) and the workers' validators refuse an input
// that is unsigned or badly signed before it becomes history. The key is
// derived from the audit key, which serve and worker both hold, under a label
// of its own; it lives in the worker's Workflows, never in a workflow's input
// or history.
//
// A signed input is in the workflow's history for anyone to read, so the
// signature names the Update ID the API chose: sent again under another ID it
// no longer verifies, and under its own ID Temporal, which deduplicates
// Update IDs within a run, answers with the first outcome instead of running
// it again. Signals have no ID; theirs is signed with an empty one.

// UpdateKey signs and checks Update inputs.
type UpdateKey []byte

const updateKeyLabel = "l2c/update-signing-key/v1"

// UpdateKeyFrom derives the Update key from the audit chain's key. A chain
// without a key gives no key, and without one every Update is refused.
func UpdateKeyFrom(chain audit.Chain) UpdateKey {
	k := chain.MAC(nil, audit.Entry{Action: updateKeyLabel})
	if bytes.Equal(k, (audit.Chain{}).MAC(nil, audit.Entry{Action: updateKeyLabel})) {
		return nil
	}
	return k
}

// signable is a signed input (internal/contract): WithSig(nil) is what is
// signed, and WithSig(sig) the input signed.
type signable interface {
	WithSig(sig []byte) (any, []byte)
}

func (k UpdateKey) mac(workflowID, update, updateID string, in signable) ([]byte, error) {
	bare, _ := in.WithSig(nil)
	// encoding/json is deterministic for these plain structs (fields in
	// order, map keys sorted); workflowcheck only sees its type cache.
	payload, err := json.Marshal(bare) //workflowcheck:ignore
	if err != nil {
		return nil, fmt.Errorf("sign %s: %w", update, err)
	}
	m := hmac.New(sha256.New, k)
	var n [8]byte
	for _, b := range [][]byte{[]byte(workflowID), []byte(update), []byte(updateID), payload} {
		binary.BigEndian.PutUint64(n[:], uint64(len(b)))
		m.Write(n[:])
		m.Write(b)
	}
	return m.Sum(nil), nil
}

// SignUpdate returns arg signed for Update update with ID updateID on
// workflow workflowID (for a signal, update is its name and updateID empty);
// an argument of a kind that is not signed is returned as it is.
func SignUpdate(k UpdateKey, workflowID, update, updateID string, arg any) (any, error) {
	s, ok := arg.(signable)
	if !ok {
		return arg, nil
	}
	sig, err := k.mac(workflowID, update, updateID, s)
	if err != nil {
		return nil, err
	}
	signed, _ := s.WithSig(sig)
	return signed, nil
}

// errUnauthenticated is what a validator answers an input the API did not sign.
func errUnauthenticated(update string) error {
	return refusalError(refusal.Deny("unauthenticated update: %s was not signed by l2c's API", update))
}

// currentUpdateID is the ID of the Update whose validator or handler ctx is
// (what Temporal deduplicates on); empty outside an Update.
func currentUpdateID(ctx workflow.Context) string {
	if u := workflow.GetCurrentUpdateInfo(ctx); u != nil {
		return u.ID
	}
	return ""
}

// authenticate is the validators' first check: in must be signed for this
// workflow, this Update and updateID (currentUpdateID for an Update, empty
// for a signal). A nil checker (the bare workflow functions, for the SDK's
// test environment and replay) checks nothing; a Workflows without a key
// refuses everything. Validators do not run on replay, so this check may
// change without a workflow version.
func authenticate(ctx workflow.Context, key *UpdateKey, update, updateID string, in signable) error {
	if key == nil {
		return nil
	}
	_, sig := in.WithSig(nil)
	id := workflow.GetInfo(ctx).WorkflowExecution.ID
	want, err := key.mac(id, update, updateID, in)
	if len(*key) == 0 || err != nil || len(sig) == 0 || !hmac.Equal(sig, want) {
		workflow.GetLogger(ctx).Warn("unauthenticated update refused", "workflow", id, "update", update,
			"update_id", updateID, "signed", len(sig) > 0)
		return errUnauthenticated(update)
	}
	return nil
}

// Workflows are the deal and approval workflows as a worker runs them: bound
// to the Update key, so their validators refuse Updates the API did not sign.
// Workers register these (Register); the bare DealWorkflow and
// ApprovalWorkflow functions check no signature and are for the SDK's test
// environment and replays only.
type Workflows struct{ Key UpdateKey }

// Register puts the signed-Update workflows on a worker, under the names the
// bare functions have, so starts and child workflows find them.
func (w *Workflows) Register(r worker.WorkflowRegistry) {
	r.RegisterWorkflowWithOptions(w.DealWorkflow, workflow.RegisterOptions{Name: "DealWorkflow"})
	r.RegisterWorkflowWithOptions(w.ApprovalWorkflow, workflow.RegisterOptions{Name: "ApprovalWorkflow"})
	r.RegisterWorkflowWithOptions(w.CreditHoldWorkflow, workflow.RegisterOptions{Name: "CreditHoldWorkflow"})
}

// CreditHoldWorkflow is CreditHoldWorkflow with signed Updates.
func (w *Workflows) CreditHoldWorkflow(ctx workflow.Context, in CreditHoldInput) (CreditHoldStatus, error) {
	key := w.Key
	return runCreditHold(ctx, in, &key)
}

// DealWorkflow is DealWorkflow with signed Updates.
func (w *Workflows) DealWorkflow(ctx workflow.Context, in DealInput) (deal.Deal, error) {
	key := w.Key
	return runDeal(ctx, in, &key)
}

// ApprovalWorkflow is ApprovalWorkflow with signed Updates.
func (w *Workflows) ApprovalWorkflow(ctx workflow.Context, in ApprovalInput) (approval.Case, error) {
	key := w.Key
	return runApproval(ctx, in, &key)
}
