package mapreduce

import (
	"bufio"
	"bytes"
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// wantLines is content's lines: split at "\n", the "\r" of a "\r\n"
// dropped, no line after a final "\n".
func wantLines(content []byte) []string {
	if len(content) == 0 {
		return nil
	}
	lines := strings.Split(string(content), "\n")
	ended := content[len(content)-1] == '\n'
	if ended {
		lines = lines[:len(lines)-1]
	}
	for i, l := range lines {
		if i < len(lines)-1 || ended {
			lines[i] = strings.TrimSuffix(l, "\r")
		}
	}
	return lines
}

// Every line of a file is read by exactly one part, whatever the cuts: the
// parts' lines, together, are the file's, for lines far longer than the
// reader's buffer, CRLF, empty lines, no final newline, and cuts just
// before, at and after line breaks.
func TestPartsCoverTheFile(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	dir := t.TempDir()
	awkward := make([]byte, 20000)
	for i := range awkward {
		awkward[i] = " ab\n\r\x00\xff"[rng.IntN(7)]
	}
	contents := map[string][]byte{
		"empty":       nil,
		"empty-lines": []byte("\n\n\na\n\nb\n"),
		"crlf":        []byte("one two\r\nthree\r\n\r\nfour\r"),
		"huge-line":   append(bytes.Repeat([]byte("word "), 120000), "\nshort\n"...), // 600 KB, over the 256 KiB buffer
		"awkward":     awkward,
		"one-byte":    []byte("q"),
		"newline":     []byte("\n"),
	}
	for name, content := range contents {
		path := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(path, content, 0o644))
		want := wantLines(content)
		size := int64(len(content))
		cutSets := [][]int64{{}}
		for n := 2; n <= 7; n++ {
			var cuts []int64
			for k := 1; k < n; k++ {
				cuts = append(cuts, size*int64(k)/int64(n))
			}
			cutSets = append(cutSets, cuts)
		}
		for i := range min(len(content), 60) { // single cuts near the start
			cutSets = append(cutSets, []int64{int64(i)})
		}
		// A reader shared by the parts, as a rank's, and smaller than
		// most lines, so they are gathered across buffers.
		r := bufio.NewReaderSize(nil, 16)
		for _, cuts := range cutSets {
			var got []string
			lo := int64(0)
			for _, hi := range append(cuts, size) {
				if hi <= lo {
					continue
				}
				var place lineCursor
				readLines(context.Background(), part{path: path, start: lo, end: hi}, r, &place, false, func(l []byte, err error) bool {
					require.NoError(t, err)
					got = append(got, string(l))
					return true
				})
				lo = hi
			}
			require.Equal(t, want, got, "%s cut at %v", name, cuts)

			// In blocks, newlines kept: the parts' blocks, laid end to
			// end, are the file, and each ends at a line's end.
			var blocks []byte
			lo = 0
			for _, hi := range append(cuts, size) {
				if hi <= lo {
					continue
				}
				var place lineCursor
				readLines(context.Background(), part{path: path, start: lo, end: hi}, r, &place, true, func(b []byte, err error) bool {
					require.NoError(t, err)
					require.NotEmpty(t, b)
					end := len(blocks) + len(b)
					require.True(t, end == len(content) || content[end-1] == '\n', "%s cut at %v: a block ends mid-line", name, cuts)
					blocks = append(blocks, b...)
					return true
				})
				lo = hi
			}
			require.Equal(t, string(content), string(blocks), "%s cut at %v, in blocks", name, cuts)
		}
	}
}

func TestShareSplitsAllBytes(t *testing.T) {
	files := []inputFile{{"a", 0}, {"b", 10}, {"c", 1}, {"d", 7}}
	for n := 1; n <= 6; n++ {
		covered := map[string]int64{}
		for k := range n {
			for _, p := range share(files, k, n) {
				require.Less(t, p.start, p.end, "%+v", p)
				covered[p.path] += p.end - p.start
			}
		}
		require.Equal(t, map[string]int64{"b": 10, "c": 1, "d": 7}, covered, "n=%d", n)
	}
}
