package wordcount

import (
	"math/rand/v2"
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

// compare finds counts that are off, words missing and words too many.
func TestCompareFindsDifferences(t *testing.T) {
	seq := map[string]int64{"a": 3, "b": 2, "c": 1, "d": 1}
	require.NoError(t, compare(map[string]int64{"a": 3, "b": 2, "c": 1, "d": 1}, seq))
	err := compare(map[string]int64{"a": 3, "b": 2, "c": 2, "zz": 1}, seq)
	require.ErrorIs(t, err, ErrMismatch)
	require.ErrorContains(t, err, "3 differences")
	require.ErrorContains(t, err, `"c": 2, sequential 1`)
	require.ErrorContains(t, err, `"d": missing, sequential 1`)
	require.ErrorContains(t, err, `"zz": 1, sequential none`)
}
