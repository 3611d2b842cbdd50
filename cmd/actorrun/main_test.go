package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rmactor/rmactor/actor"
	"github.com/rmactor/rmactor/apps/wordcount/wordcounttest"
)

func TestHelpListsApps(t *testing.T) {
	var out, errOut bytes.Buffer
	require.Equal(t, 0, run([]string{"--help"}, &out, &errOut))
	require.Contains(t, out.String(), "pi ")
	require.Equal(t, 2, run(nil, &out, &errOut))
}

func TestUnknownApp(t *testing.T) {
	var out, errOut bytes.Buffer
	require.Equal(t, 2, run([]string{"nope"}, &out, &errOut))
	require.Contains(t, errOut.String(), `unknown app "nope"`)
}

func TestPiApp(t *testing.T) {
	var out, errOut bytes.Buffer
	code := run([]string{"pi", "--ranks", "3", "--tasks", "500", "--stats"}, &out, &errOut)
	require.Equal(t, 0, code, errOut.String())
	require.Contains(t, out.String(), "pi ≈ 3.14159")
	require.Equal(t, 3, strings.Count(out.String(), "rank "), out.String())
	require.Regexp(t, `rank 1: sent [1-9][0-9]* messages .* received [1-9][0-9]* in [1-9][0-9]* .*high water [1-9]`, out.String())
}

func TestBadFlag(t *testing.T) {
	var out, errOut bytes.Buffer
	require.Equal(t, 2, run([]string{"pi", "--bogus"}, &out, &errOut))
	require.Equal(t, 1, run([]string{"pi", "--tasks", "0"}, &out, &errOut))
	require.Contains(t, errOut.String(), "invalid argument")
}

func TestWordcountApp(t *testing.T) {
	var out, errOut bytes.Buffer
	code := run([]string{"wordcount", "--ranks", "3", "--top", "5", "--check", "../../docs"}, &out, &errOut)
	require.Equal(t, 0, code, errOut.String())
	require.Contains(t, out.String(), "check: matches the sequential count")
	require.Equal(t, 1, run([]string{"wordcount", "--ranks", "2"}, &out, &errOut))
}

// runWithin runs actorrun with args, failing the test if it takes longer
// than a minute.
func runWithin(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	done := make(chan int, 1)
	go func() { done <- run(args, &out, &errOut) }()
	select {
	case code = <-done:
		return code, out.String(), errOut.String()
	case <-time.After(time.Minute):
		t.Fatalf("actorrun %v did not finish in a minute", args)
		return 0, "", ""
	}
}

// The awkward corpus (a 5 MB line, a 50 KB token, binary, empty and 1200
// small files...) runs and checks at 1, 2 and 4 ranks, and every run
// prints the same.
func TestWordcountAppAwkward(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, wordcounttest.WriteCorpus(dir, 2))
	var first string
	for _, args := range [][]string{
		{"--ranks", "1"},
		{"--ranks", "2"},
		{"--ranks", "4"},
	} {
		args = append(append([]string{"wordcount", "--top", "20", "--check", "--progress", "0"}, args...), dir)
		code, out, errOut := runWithin(t, args...)
		require.Equal(t, 0, code, "%v: %s", args, errOut)
		require.Contains(t, out, "check: matches the sequential count", "%v", args)
		body := out[strings.Index(out, "\n"):]
		if first == "" {
			first = body
		}
		require.Equal(t, first, body, "%v", args)
	}
	code, _, errOut := runWithin(t, "wordcount", "--top", "0", dir)
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "invalid argument")
}

func TestBaleKernels(t *testing.T) {
	for _, args := range [][]string{
		{"histogram", "--ranks", "3", "--updates", "5000", "--table", "20"},
		{"histogram", "--ranks", "2", "--updates", "3000", "--aggregate=false"},
		{"indexgather", "--ranks", "3", "--reads", "2000", "--table", "20"},
	} {
		var out, errOut bytes.Buffer
		require.Equal(t, 0, run(args, &out, &errOut), "%v: %s", args, errOut.String())
		require.Contains(t, out.String(), "checked", "%v", args)
	}
	var out, errOut bytes.Buffer
	require.Equal(t, 1, run([]string{"pi", "extra"}, &out, &errOut))
}

func TestWorldApps(t *testing.T) {
	var out, errOut bytes.Buffer
	require.Equal(t, 0, run([]string{"pingpong", "--ranks", "2", "-n", "2000", "-requests", "50"}, &out, &errOut), errOut.String())
	require.Contains(t, out.String(), "one-way:    2000 messages")
	out.Reset()
	require.Equal(t, 0, run([]string{"producer-consumer", "--ranks", "3", "-n", "1000"}, &out, &errOut), errOut.String())
	require.Contains(t, out.String(), "total 1000 records")
	require.Equal(t, 2, run([]string{"pingpong", "extra"}, &out, &errOut))
}

func TestProgressLine(t *testing.T) {
	var out bytes.Buffer
	sent, done := uint64(0), uint64(0)
	p := newProgress(&out, func() actor.Stats { return actor.Stats{MessagesSent: sent, MessagesReceived: sent / 2} },
		func() (uint64, uint64) { return sent, done })
	tick := make(chan time.Time)
	stop := make(chan struct{})
	finished := make(chan struct{})
	go func() { p.loop(tick, stop); close(finished) }()
	sent, done = 4000, 3000
	tick <- p.start.Add(2 * time.Second)
	close(stop)
	select {
	case <-finished:
	case <-time.After(10 * time.Second):
		t.Fatal("the progress loop did not stop")
	}
	require.Equal(t, "actorrun: 2s: rank 0 handled 3000 messages (1500/s); sent 4000, received 2000 across ranks\n", out.String())
}
