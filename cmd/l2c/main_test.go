package main

import (
	"os"
	"testing"

	"github.com/l2c/l2c/internal/testenv"
)

// The command's tests that need PostgreSQL get the package's own database.
func TestMain(m *testing.M) { os.Exit(testenv.Run(m)) }
