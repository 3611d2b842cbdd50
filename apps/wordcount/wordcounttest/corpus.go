// Package wordcounttest writes an awkward input for the wordcount app, the
// same for a seed every time: a 5 MB single-line file, a 50 KB token, binary files
// (random bytes with NUL and invalid UTF-8, and random runes, letters of
// many scripts among them), empty files, more than a thousand small files
// in nested directories, CRLF line ends, a file without a final newline
// and one that ends inside a rune. The tests of apps/wordcount and
// cmd/actorrun count it, and scripts/test runs actorrun on it, written by
// apps/wordcount/internal/gencorpus.
package wordcounttest

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
)

// Sizes of the awkward shapes.
const (
	OneLineBytes = 5 << 20 // the single-line file
	TokenBytes   = 50_000  // the long token
	SmallFiles   = 1200    // small files in nested directories
)

// vocabulary has ASCII, mixed case, non-ASCII letters and digits, and a
// combining mark (a separator: it is not a letter).
var vocabulary = []string{
	"the", "The", "THE", "actor", "Actor", "rank", "mailbox", "ring", "claim", "MPI", "x1", "42", "0x1f",
	"été", "ÉTÉ", "naïve", "Straße", "ΣΊΣΥΦΟΣ", "σίσυφος", "Москва", "日本語", "٣٤", "é́té", "ǅemal",
}

// WriteCorpus lays the corpus out under dir (which it creates), from seed.
func WriteCorpus(dir string, seed uint64) error {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	words := append([]string(nil), vocabulary...)
	for i := range 400 {
		words = append(words, fmt.Sprintf("w%d", i))
	}
	zipf := rand.NewZipf(rng, 1.1, 1, uint64(len(words)-1))
	seps := []string{" ", " ", ", ", "; ", "--", "\t", "\x00", "…", " \u00a0", "_"}
	word := func() string { return words[zipf.Uint64()] }
	sep := func() string { return seps[rng.IntN(len(seps))] }

	// lines builds n lines of a few words each, ended by eol.
	lines := func(n int, eol string) string {
		var b strings.Builder
		for range n {
			for i := range 1 + rng.IntN(10) {
				if i > 0 {
					b.WriteString(sep())
				}
				b.WriteString(word())
			}
			b.WriteString(eol)
		}
		return b.String()
	}
	randomBytes := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		return b
	}

	files := map[string][]byte{
		"0-empty.txt":          nil,
		"crlf.txt":             []byte(lines(300, "\r\n") + "lone\rcarriage\rreturns\r\n"),
		"no-final-newline.txt": []byte(lines(200, "\n") + "last words without a newline"),
		"ends-in-a-rune.txt":   []byte(lines(50, "\n") + "wörd\xc3"),
		"only-newlines.txt":    []byte(strings.Repeat("\n", 5000)),
		"only-separators.txt":  []byte(strings.Repeat(" ,;\t\x00\r\n", 3000)),
		"nested/a/b/c/empty":   nil,
		"zz/empty-last":        nil,
	}

	// The long token: on a line of its own, inside a line, in upper case
	// (the same word), and a longer one touching the end of the file.
	token := make([]byte, TokenBytes)
	for i := range token {
		token[i] = "abcdefghijklmnopqrstuvwxyz0123456789"[rng.IntN(36)]
	}
	var lt strings.Builder
	lt.WriteString(lines(20, "\n"))
	lt.WriteString(string(token) + "\n")
	lt.WriteString(lines(20, "\n"))
	lt.WriteString("before " + strings.ToUpper(string(token)) + " after\n")
	lt.WriteString(lines(20, "\n"))
	lt.WriteString(string(token) + "ÿ" + string(token))
	files["long-token.txt"] = []byte(lt.String())

	// Binary: random bytes (with and without line breaks, mostly high
	// bytes), and random runes of the first planes.
	files["binary/random-1.bin"] = randomBytes(1)
	files["binary/random-4k.bin"] = randomBytes(4 << 10)
	files["binary/random-300k.bin"] = randomBytes(300 << 10)
	noNL := randomBytes(200 << 10)
	for i, c := range noNL {
		if c == '\n' {
			noNL[i] = 0
		}
	}
	files["binary/random-no-newline.bin"] = noNL
	high := randomBytes(100 << 10)
	for i := range high {
		high[i] |= 0x80
	}
	files["binary/high-bytes.bin"] = high
	var runes strings.Builder
	for runes.Len() < 200<<10 {
		runes.WriteRune(rune(rng.IntN(0x30000)))
	}
	files["binary/random-runes.bin"] = []byte(runes.String())

	// Many small files in nested directories: empty, one word without a
	// newline, a newline alone, a few lines.
	for i := range SmallFiles {
		name := fmt.Sprintf("small/d%02d/e%d/f%04d.txt", i%37, i%5, i)
		var content string
		switch i % 7 {
		case 0:
		case 1:
			content = word()
		case 2:
			content = "\n"
		default:
			content = lines(1+rng.IntN(6), "\n")
		}
		files[name] = []byte(content)
	}

	for name, content := range files {
		if err := writeFile(filepath.Join(dir, name), content); err != nil {
			return err
		}
	}

	// The single line of 5 MB, streamed to its file.
	path := filepath.Join(dir, "big", "one-line.txt")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("corpus: %w", err)
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("corpus: %w", err)
	}
	w := bufio.NewWriter(f)
	for n := 0; n < OneLineBytes; {
		k, _ := w.WriteString(word())
		m, _ := w.WriteString(sep())
		n += k + m
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("corpus: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("corpus: %w", err)
	}
	return nil
}

func writeFile(path string, content []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("corpus: %w", err)
	}
	if err := os.WriteFile(path, content, 0o644); err != nil {
		return fmt.Errorf("corpus: %w", err)
	}
	return nil
}
