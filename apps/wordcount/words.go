package wordcount

import (
	"bufio"
	"io"
	"strings"
	"unicode"
)

// eachWord calls fn with every word of r, lower-cased: a word is a maximal
// run of letters and digits. Lines are read one at a time, so a corpus is
// streamed, never held whole.
func eachWord(r io.Reader, fn func(word string)) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		wordsOf(sc.Text(), fn)
	}
	return sc.Err()
}

// wordsOf calls fn with every word of one line.
func wordsOf(line string, fn func(word string)) {
	for _, w := range strings.FieldsFunc(line, notWord) {
		fn(strings.ToLower(w))
	}
}

func notWord(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }

// CountSequential is the reference: a plain word count of r.
func CountSequential(r io.Reader) (map[string]int64, error) {
	counts := make(map[string]int64)
	err := eachWord(r, func(w string) { counts[w]++ })
	return counts, err
}
