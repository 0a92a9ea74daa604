package api

import (
	"context"
	"crypto/rand"
	"fmt"

	"go.temporal.io/sdk/client"

	"github.com/l2c/l2c/internal/audit"
	"github.com/l2c/l2c/workflows"
)

// signingClient signs the input of every Update the API sends (deal actions,
// approval decisions, delegations, comments, withdrawals) with the Update key
// derived from the audit key, after the API has authenticated the actor in
// it. The workers' validators refuse inputs without a valid signature, so an
// Update sent to Temporal directly cannot speak for anyone.
type signingClient struct {
	client.Client
	key workflows.UpdateKey
}

// signing wraps tc so the Updates it sends are signed with the key derived
// from chain's.
func signing(tc client.Client, chain audit.Chain) client.Client {
	if tc == nil {
		return nil
	}
	if s, ok := tc.(signingClient); ok {
		tc = s.Client
	}
	return signingClient{Client: tc, key: workflows.UpdateKeyFrom(chain)}
}

// UpdateWorkflow signs the Update's input for its Update ID, which the API
// chooses: the caller's (the request's Idempotency-Key, so a retry is the
// same Update and Temporal answers it with the first outcome) or else a fresh
// random one. A signed input read from history and sent under another ID is
// refused.
func (c signingClient) UpdateWorkflow(ctx context.Context, opts client.UpdateWorkflowOptions) (client.WorkflowUpdateHandle, error) {
	if opts.UpdateID == "" {
		opts.UpdateID = "api-" + rand.Text()
	}
	args := make([]any, len(opts.Args))
	for i, a := range opts.Args {
		signed, err := workflows.SignUpdate(c.key, opts.WorkflowID, opts.UpdateName, opts.UpdateID, a)
		if err != nil {
			return nil, fmt.Errorf("sign %s: %w", opts.UpdateName, err)
		}
		args[i] = signed
	}
	opts.Args = args
	return c.Client.UpdateWorkflow(ctx, opts)
}
