//go:build mpi

// Package jobtest starts MPI jobs with mpirun and checks how they end. Run
// it directly (go test -tags mpi ./rma/mpi/jobtest/), not under mpirun.
package jobtest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func mpirunArgs(n int, prog string, args ...string) []string {
	out := []string{"--oversubscribe", "--bind-to", "none", "-n", strconv.Itoa(n)}
	if os.Geteuid() == 0 {
		out = append([]string{"--allow-run-as-root"}, out...)
	}
	return append(append(out, prog), args...)
}

// TestFailingRankEndsJob: whichever way rank 1 fails, the job ends within
// seconds with a non-zero exit code, and for an error or a panic the output
// names rank 1.
func TestFailingRankEndsJob(t *testing.T) {
	launcher := "mpirun.openmpi" // mpirun may point at another MPI
	if _, err := exec.LookPath(launcher); err != nil {
		launcher = "mpirun"
	}
	if _, err := exec.LookPath(launcher); err != nil {
		t.Skip("mpirun not installed")
	}
	bin := filepath.Join(t.TempDir(), "failjob")
	build := exec.Command("go", "build", "-tags", "mpi", "-o", bin, "./failjob")
	out, err := build.CombinedOutput()
	require.NoError(t, err, "build failjob: %s", out)

	for _, mode := range []string{"error", "panic", "exit"} {
		for _, n := range []int{2, 4} {
			t.Run(mode+"/"+strconv.Itoa(n), func(t *testing.T) {
				ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
				defer cancel()
				start := time.Now()
				cmd := exec.CommandContext(ctx, launcher, mpirunArgs(n, bin, "-mode", mode, "-rank", "1")...)
				out, err := cmd.CombinedOutput()
				elapsed := time.Since(start)
				require.Error(t, err, "job must fail: %s", out)
				require.NoError(t, ctx.Err(), "job hung until the test's deadline: %s", out)
				require.Less(t, elapsed, 20*time.Second, "job took %v to end", elapsed)
				if mode != "exit" {
					require.Contains(t, string(out), "rank 1:", "output must name the failing rank")
				}
			})
		}
	}
}
