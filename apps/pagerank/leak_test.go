package pagerank_test

import (
	"testing"

	"github.com/rmactor/rmactor/internal/leakcheck"
)

// TestMain fails the package's tests if a goroutine is still running a few
// seconds after they passed (goleak).
func TestMain(m *testing.M) { leakcheck.VerifyTestMain(m) }
