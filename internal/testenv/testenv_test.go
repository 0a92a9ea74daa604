package testenv

import (
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"go.temporal.io/sdk/client"
)

func TestMain(m *testing.M) { os.Exit(Run(m)) }

func TestDatabaseIsFreshAndMigrated(t *testing.T) {
	t.Parallel()
	url := DatabaseURL(t)
	if again := DatabaseURL(t); again != url {
		t.Fatalf("second DatabaseURL = %q, want the package's one database %q", again, url)
	}
	conn, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer conn.Close(t.Context())

	var name string
	if err := conn.QueryRow(t.Context(), "SELECT current_database()").Scan(&name); err != nil {
		t.Fatalf("current_database: %v", err)
	}
	if !strings.HasPrefix(name, "l2c_test_testenv_") {
		t.Errorf("database %q is not named l2c_test_<pkg>_<random>", name)
	}
	// goose records each applied migration; at least one must be there.
	var applied int
	if err := conn.QueryRow(t.Context(), "SELECT count(*) FROM goose_db_version WHERE version_id > 0").Scan(&applied); err != nil {
		t.Fatalf("read migration versions: %v", err)
	}
	if applied == 0 {
		t.Error("no migrations applied")
	}
}

func TestTemporalAnswers(t *testing.T) {
	t.Parallel()
	c := TemporalClient(t)
	if _, err := c.CheckHealth(t.Context(), &client.CheckHealthRequest{}); err != nil {
		t.Fatalf("CheckHealth: %v", err)
	}
	if hp := TemporalHostPort(t); !strings.HasPrefix(hp, "127.0.0.1:") && !strings.HasPrefix(hp, "localhost:") {
		t.Errorf("TemporalHostPort = %q, want a loopback address", hp)
	}
}
