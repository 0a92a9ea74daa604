package testenv

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	"google.golang.org/protobuf/encoding/protojson"
)

// RecordHistory writes workflow id's history to workflows/testdata/file, for
// the workflows package's replay tests, when L2C_RECORD_HISTORY is set. Tests
// that run a workflow on the dev server call it at the end of a good run.
func RecordHistory(t testing.TB, tc client.Client, id, file string) {
	t.Helper()
	if os.Getenv("L2C_RECORD_HISTORY") == "" {
		return
	}
	iter := tc.GetWorkflowHistory(context.Background(), id, "", false, 0)
	var h historypb.History
	for iter.HasNext() {
		ev, err := iter.Next()
		if err != nil {
			t.Fatalf("history of %s: %v", id, err)
		}
		h.Events = append(h.Events, ev)
	}
	b, err := protojson.MarshalOptions{Multiline: true, Indent: "  "}.Marshal(&h)
	if err != nil {
		t.Fatalf("history of %s: %v", id, err)
	}
	_, here, _, _ := runtime.Caller(0)
	dir := filepath.Join(filepath.Dir(here), "..", "..", "workflows", "testdata")
	if err := os.WriteFile(filepath.Join(dir, file), b, 0o644); err != nil {
		t.Fatalf("history of %s: %v", id, err)
	}
}
