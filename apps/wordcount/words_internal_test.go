package wordcount

import (
	"bufio"
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"

	"github.com/stretchr/testify/require"
)

// oldWords is the definition of a word the app has always had, on a whole
// input held as a string: maximal runs of letters and digits, lower-cased.
func oldWords(s string) []string {
	var out []string
	for _, w := range strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
		out = append(out, strings.ToLower(w))
	}
	return out
}

// awkwardBytes is random input rich in edge cases: ASCII words, multi-byte
// letters, separators, line breaks, NUL, invalid and truncated UTF-8.
func awkwardBytes(rng *rand.Rand, n int) []byte {
	pieces := []string{"a", "Z", "9", " ", "\n", "\r\n", "\x00", "é", "É", "日", "ǅ", "٣", "\u0301", "\u00a0",
		"\xc3", "\xe6\x97", "\xf0\x9f\x98", "\xff", "\x80", "😀", "Σ", "ß", "\ufffd"}
	var b []byte
	for len(b) < n {
		if rng.IntN(4) == 0 {
			b = append(b, byte(rng.Uint32()))
		} else {
			b = append(b, pieces[rng.IntN(len(pieces))]...)
		}
	}
	return b
}

func splitAll(chunks [][]byte) []string {
	var out []string
	s := newSplitter(func(w []byte) { out = append(out, string(w)) })
	for _, c := range chunks {
		_, _ = s.Write(c)
	}
	_ = s.Close()
	return out
}

// The splitter finds the same words as the old definition, however its
// input is cut into chunks (inside runes too).
func TestSplitterAnyChunks(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for trial := range 300 {
		in := awkwardBytes(rng, 1+rng.IntN(400))
		want := oldWords(string(in))
		require.Equal(t, want, splitAll([][]byte{in}), "trial %d whole: %q", trial, in)
		var chunks [][]byte
		for rest := in; len(rest) > 0; {
			k := min(len(rest), rng.IntN(6))
			chunks = append(chunks, rest[:k])
			rest = rest[k:]
		}
		require.Equal(t, want, splitAll(chunks), "trial %d in chunks: %q", trial, in)
		single := make([][]byte, len(in))
		for i := range in {
			single[i] = in[i : i+1]
		}
		require.Equal(t, want, splitAll(single), "trial %d byte by byte: %q", trial, in)
	}
	require.Equal(t, []string{"wörd"}, splitAll([][]byte{[]byte("WÖRD\xc3")}))
	require.Nil(t, splitAll(nil))
}

// Every line of a file is read by exactly one part, whatever the cuts:
// the parts' words, together, are the file's words, for lines far longer
// than the reader's buffer, CRLF, no final newline, and cuts just before,
// at and after line breaks.
func TestReadPartsCoverTheFile(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	dir := t.TempDir()
	contents := map[string][]byte{
		"empty-lines": []byte("\n\n\na\n\nb\n"),
		"crlf":        []byte("one two\r\nthree\r\n\r\nfour"),
		"long-line":   bytes.Repeat([]byte("word "), 2000),
		"long-token":  append(append([]byte("x\n"), bytes.Repeat([]byte("é"), 3000)...), "\ny\n"...),
		"awkward":     awkwardBytes(rng, 20000),
		"one-byte":    []byte("q"),
		"newline":     []byte("\n"),
	}
	for name, content := range contents {
		path := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(path, content, 0o644))
		want := oldWords(string(content))
		size := int64(len(content))
		cutSets := [][]int64{{}}
		for n := 1; n <= 7; n++ {
			var cuts []int64
			for k := 1; k < n; k++ {
				cuts = append(cuts, size*int64(k)/int64(n))
			}
			cutSets = append(cutSets, cuts)
		}
		for i := range content { // every single cut
			cutSets = append(cutSets, []int64{int64(i)})
			if len(cutSets) > 100 {
				break
			}
		}
		for _, cuts := range cutSets {
			var got []string
			r := bufio.NewReaderSize(nil, 16) // the smallest buffer: lines span many fills
			lo := int64(0)
			for _, hi := range append(cuts, size) {
				if hi <= lo {
					continue
				}
				require.NoError(t, readPart(part{path: path, start: lo, end: hi}, r, func(w []byte) { got = append(got, string(w)) }))
				lo = hi
			}
			require.Equal(t, want, got, "%s cut at %v", name, cuts)
		}
	}
}

func TestShareSplitsAllBytes(t *testing.T) {
	files := []string{"a", "b", "c", "d"}
	sizes := []int64{0, 10, 1, 7}
	for n := 1; n <= 6; n++ {
		covered := map[string]int64{}
		for k := range n {
			for _, p := range share(files, sizes, k, n) {
				require.Less(t, p.start, p.end, fmt.Sprint(p))
				covered[p.path] += p.end - p.start
			}
		}
		require.Equal(t, map[string]int64{"b": 10, "c": 1, "d": 7}, covered, "n=%d", n)
	}
}
