package contract

import (
	"time"

	"github.com/l2c/l2c/internal/approval"
	"github.com/l2c/l2c/internal/deal"
	"github.com/l2c/l2c/internal/identity"
	"github.com/l2c/l2c/internal/money"
)

// The payloads of the deal and approval workflows: their inputs and what
// their Updates and Signals carry. Field names and tags are recorded in
// histories: add fields, never rename or retype one.

// DealInput starts a deal: the deal as deal.Open made it, and its first history entry.
type DealInput struct {
	Deal   deal.Deal
	Opened deal.HistoryEntry
}

// ActInput is one person's action on a deal.
type ActInput struct {
	Actor  identity.User
	Action deal.Action
	// Sig is the API's signature over the rest (SignUpdate).
	Sig []byte `json:",omitempty"`
}

// ApprovalInput opens a case: its identity, requester, subject and facts. The
// route is chosen by the rules when the case starts.
type ApprovalInput struct {
	Case approval.Case
	// Parent is the workflow ID to tell of the case's progress; empty for none.
	Parent string
}

type (
	DecideInput struct {
		Actor identity.User
		// OnBehalfOf is the approver whose step Actor decides as their
		// out-of-office delegate; the API checks the delegation.
		OnBehalfOf string
		Approve    bool
		Note       string
		// Sig is the API's signature over the rest (SignUpdate), as on each input here.
		Sig []byte `json:",omitempty"`
	}
	DelegateInput struct {
		Actor identity.User
		To    string
		Note  string
		Sig   []byte `json:",omitempty"`
	}
	CommentInput struct {
		Actor  identity.User
		StepID string
		Text   string
		Sig    []byte `json:",omitempty"`
	}
	WithdrawInput struct {
		Actor identity.User
		Note  string
		Sig   []byte `json:",omitempty"`
	}
	ResubmitInput struct {
		Actor   string
		Title   string
		Subject []approval.Field
		Facts   approval.Facts
		// Seq is the parent's round of the review it resubmits (the deal's
		// review round), rising with every resubmission: from
		// ResubmitSeqChange a case takes a resubmission only above the last
		// it took, so a signed one read from history and sent again starts
		// nothing.
		Seq int64 `json:",omitempty"`
		// Sig: the deal workflow signs what it resubmits (SignUpdate), so a
		// signal from anyone else cannot start a round with made-up facts.
		Sig []byte `json:",omitempty"`
	}
	// ReviewNews is what the parent hears: the case was returned, approved or withdrawn.
	ReviewNews struct {
		CaseID string
		Kind   approval.Kind
		Status approval.Status
		Round  int
		By     string
		Note   string
	}
)

// Signed inputs: WithSig returns the input with sig for its Sig and the Sig it
// had. WithSig(nil) is what is signed (workflows.SignUpdate); the signer
// puts the signature in through the same method, so one method per type
// serves both ways.
func (in ActInput) WithSig(sig []byte) (any, []byte)      { s := in.Sig; in.Sig = sig; return in, s }
func (in DecideInput) WithSig(sig []byte) (any, []byte)   { s := in.Sig; in.Sig = sig; return in, s }
func (in DelegateInput) WithSig(sig []byte) (any, []byte) { s := in.Sig; in.Sig = sig; return in, s }
func (in CommentInput) WithSig(sig []byte) (any, []byte)  { s := in.Sig; in.Sig = sig; return in, s }
func (in WithdrawInput) WithSig(sig []byte) (any, []byte) { s := in.Sig; in.Sig = sig; return in, s }
func (in ResubmitInput) WithSig(sig []byte) (any, []byte) { s := in.Sig; in.Sig = sig; return in, s }

// CreditReleaseInput is a finance approver's terms for releasing a credit
// hold: the allowance above the limit, until when, and why. The API sends it
// just before the approver's decision on the hold's case; the hold uses the
// terms of whoever approved.
type CreditReleaseInput struct {
	Actor     identity.User
	Amount    money.Amount
	ExpiresAt time.Time
	Reason    string
	Sig       []byte `json:",omitempty"`
}

func (in CreditReleaseInput) WithSig(sig []byte) (any, []byte) {
	s := in.Sig
	in.Sig = sig
	return in, s
}
