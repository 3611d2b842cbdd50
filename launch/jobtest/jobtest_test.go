// Package jobtest starts jobs of a test program (failjob) in which one rank
// fails in the middle of message traffic, and checks how the jobs end: on
// the in-process backend, and under mpirun when Open MPI is installed. Run
// it directly (go test ./launch/jobtest/), not under mpirun.
package jobtest

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

var modes = []string{"error", "panic", "exit", "kill"}

// build compiles failjob with the given build tags.
func build(t *testing.T, tags string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "failjob")
	args := []string{"build", "-o", bin}
	if tags != "" {
		args = append(args, "-tags", tags)
	}
	out, err := exec.Command("go", append(args, "./failjob")...).CombinedOutput()
	require.NoError(t, err, "build failjob (tags %q): %s", tags, out)
	return bin
}

// runJob runs the command and returns its output, exit error and duration;
// the job must end by itself well before the test's own deadline.
func runJob(t *testing.T, name string, args ...string) (string, error, time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	start := time.Now()
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	elapsed := time.Since(start)
	require.NoError(t, ctx.Err(), "job hung until the test's deadline: %s", out)
	require.Error(t, err, "job must fail: %s", out)
	require.Less(t, elapsed, 30*time.Second, "job took %v to end: %s", elapsed, out)
	return string(out), err, elapsed
}

// TestFailingRankEndsInProcessJob: ranks are goroutines of one process. An
// error or a panic ends the job with exit code 1 and a line naming rank 1;
// an exit or a SIGKILL is the whole process's, so it ends at once with
// that status (and nothing can name the rank).
func TestFailingRankEndsInProcessJob(t *testing.T) {
	bin := build(t, "")
	for _, mode := range modes {
		for _, n := range []int{2, 4} {
			t.Run(mode+"/"+strconv.Itoa(n), func(t *testing.T) {
				out, err, elapsed := runJob(t, bin, "-ranks", strconv.Itoa(n), "-mode", mode, "-rank", "1")
				var exit *exec.ExitError
				require.True(t, errors.As(err, &exit), "%v: %s", err, out)
				switch mode {
				case "exit":
					require.Equal(t, 3, exit.ExitCode(), out)
				case "kill":
					ws, ok := exit.Sys().(syscall.WaitStatus)
					require.True(t, ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL, "%v: %s", err, out)
				default:
					require.Equal(t, 1, exit.ExitCode(), out)
					require.Contains(t, out, "rank 1: ", "output must name the failing rank")
				}
				t.Logf("ended in %v", elapsed)
			})
		}
	}
}

// TestFailingSenderOfLargeMessages: every rank streams 3 MiB messages (the
// rendezvous path, pipelined through the staging window) and rank 1 fails
// while its messages are being read: the job ends within seconds naming
// the rank, and no receiver ever sees a torn message (failjob exits 4 with
// "GARBAGE" if one does).
func TestFailingSenderOfLargeMessages(t *testing.T) {
	bin := build(t, "")
	for _, mode := range []string{"error", "panic"} {
		t.Run(mode, func(t *testing.T) {
			out, err, elapsed := runJob(t, bin, "-ranks", "3", "-mode", mode, "-rank", "1", "-payload", "3145728", "-after", "20")
			var exit *exec.ExitError
			require.True(t, errors.As(err, &exit), "%v: %s", err, out)
			require.NotContains(t, out, "GARBAGE")
			require.Equal(t, 1, exit.ExitCode(), out)
			require.Contains(t, out, "rank 1: ", "output must name the failing rank")
			t.Logf("ended in %v", elapsed)
		})
	}
	if launcher, ok := openMPI(t); ok {
		mbin := build(t, "mpi")
		for _, mode := range []string{"error", "kill"} {
			t.Run("mpi/"+mode, func(t *testing.T) {
				args := []string{"--oversubscribe", "--bind-to", "none", "-n", "3", mbin, "-mode", mode, "-rank", "1", "-payload", "3145728", "-after", "20"}
				if os.Geteuid() == 0 {
					args = append([]string{"--allow-run-as-root"}, args...)
				}
				out, _, elapsed := runJob(t, launcher, args...)
				require.NotContains(t, out, "GARBAGE")
				require.Regexp(t, mpiNamesRank1, out, "output must name the failing rank")
				t.Logf("ended in %v", elapsed)
			})
		}
	}
}

// openMPI finds Open MPI's launcher, if Open MPI is installed.
func openMPI(t *testing.T) (string, bool) {
	t.Helper()
	launcher := "mpirun.openmpi"
	if _, err := exec.LookPath(launcher); err != nil {
		launcher = "mpirun"
	}
	if _, err := exec.LookPath(launcher); err != nil {
		return "", false
	}
	if err := exec.Command("pkg-config", "--exists", "ompi").Run(); err != nil {
		return "", false
	}
	return launcher, true
}

// mpiNamesRank1 matches how the job's output names rank 1: rmactor's own
// line for an error or a panic, mpirun's for a process that died.
var mpiNamesRank1 = regexp.MustCompile(`rmactor: rank 1: |process rank 1 |Process name: \[\[[0-9]+,[0-9]+\],1\]`)

// TestFailingRankEndsMPIJob: under mpirun, whichever way rank 1 fails, the
// job ends within seconds with a non-zero exit code and output naming rank 1.
func TestFailingRankEndsMPIJob(t *testing.T) {
	launcher := "mpirun.openmpi" // mpirun may point at another MPI
	if _, err := exec.LookPath(launcher); err != nil {
		launcher = "mpirun"
	}
	if _, err := exec.LookPath(launcher); err != nil {
		t.Skip("mpirun not installed")
	}
	if err := exec.Command("pkg-config", "--exists", "ompi").Run(); err != nil {
		t.Skip("Open MPI development files not installed (pkg-config ompi)")
	}
	bin := build(t, "mpi")
	for _, mode := range modes {
		for _, n := range []int{2, 4} {
			t.Run(mode+"/"+strconv.Itoa(n), func(t *testing.T) {
				args := []string{"--oversubscribe", "--bind-to", "none", "-n", strconv.Itoa(n), bin, "-mode", mode, "-rank", "1"}
				if os.Geteuid() == 0 {
					args = append([]string{"--allow-run-as-root"}, args...)
				}
				out, _, elapsed := runJob(t, launcher, args...)
				require.Regexp(t, mpiNamesRank1, out, "output must name the failing rank")
				t.Logf("ended in %v", elapsed)
			})
		}
	}
}

// failedAt matches failjob's line for the moment its rank fails.
var failedAt = regexp.MustCompile(`failjob: rank 1 fails \([a-z]+\) at ([0-9]+)`)

// TestFailingRankEndsMultiHostJob: across hosts (network namespaces, made
// by scripts/netns-cluster, whose path RMACTOR_NETNS_CLUSTER gives; the
// multi-host leg of scripts/test sets it, as root), rank 1 runs on host 2
// (mpirun --map-by node) and fails each way in the middle of the traffic:
// the job ends within 5 s of the failure, non-zero, naming rank 1.
func TestFailingRankEndsMultiHostJob(t *testing.T) {
	script := os.Getenv("RMACTOR_NETNS_CLUSTER")
	if script == "" {
		t.Skip("RMACTOR_NETNS_CLUSTER not set (scripts/test-hosts sets it)")
	}
	bin := build(t, "mpi")
	for _, mode := range modes {
		for _, hosts := range []int{2, 3} {
			t.Run(mode+"/"+strconv.Itoa(hosts)+"hosts", func(t *testing.T) {
				args := []string{"mpirun", strconv.Itoa(hosts), "-n", strconv.Itoa(hosts), "-x", "GOMAXPROCS=1", "--", bin, "-mode", mode, "-rank", "1", "-after", "200"}
				out, _, _ := runJob(t, script, args...)
				end := time.Now()
				require.Regexp(t, mpiNamesRank1, out, "output must name the failing rank")
				m := failedAt.FindStringSubmatch(out)
				require.NotNil(t, m, "failjob did not say when rank 1 failed: %s", out)
				ns, err := strconv.ParseInt(m[1], 10, 64)
				require.NoError(t, err)
				took := end.Sub(time.Unix(0, ns))
				require.Less(t, took, 5*time.Second, "the job took %v to end after rank 1 failed: %s", took, out)
				t.Logf("ended %v after the failure", took)
			})
		}
	}
}
