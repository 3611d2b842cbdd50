package wordcount

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"unicode"
	"unicode/utf8"
)

// What a word is, on any bytes (text, binary, invalid UTF-8): the input is
// decoded as UTF-8, one rune at a time, a byte that does not begin a valid
// encoding being one rune of its own (utf8.RuneError, as a Go range loop
// decodes it). A word is a maximal run of runes that are letters or digits
// (unicode.IsLetter, unicode.IsDigit), lower-cased rune by rune
// (unicode.ToLower); every other rune, invalid bytes, NUL and line breaks
// included, separates words. A word has no length limit: it is held whole,
// nothing else is (neither a line nor a file).
//
// A line break (byte '\n') is never part of a word nor of a longer
// encoding, so the decoding of the bytes after it does not depend on the
// bytes before it: cutting the input just after a '\n' gives the same
// words. The job cuts files there and nowhere else, and runs the same
// splitter as the sequential reference, so both count the same words.

// asciiWord maps an ASCII byte to its lower-case form if it belongs to a
// word, and to 0 if it separates words.
var asciiWord = func() (t [utf8.RuneSelf]byte) {
	for c := range t {
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
			t[c] = byte(c)
		case c >= 'A' && c <= 'Z':
			t[c] = byte(c) + 'a' - 'A'
		}
	}
	return t
}()

// splitter cuts the bytes written to it into words and calls emit with
// each one, lower-cased. The bytes may come in chunks of any size, cut
// anywhere, even inside a rune: the words are those of the bytes laid end
// to end. Close ends the last word. The slice emit gets is valid only
// during the call.
type splitter struct {
	emit  func(word []byte)
	word  []byte
	carry [utf8.UTFMax]byte // the start of a rune cut by the end of a chunk
	nc    int
}

func newSplitter(emit func(word []byte)) *splitter { return &splitter{emit: emit} }

// Write takes the next bytes of the input; it never fails.
func (s *splitter) Write(p []byte) (int, error) {
	n := len(p)
	// Complete a rune begun in the previous chunk one byte at a time: at
	// most UTFMax bytes are ever carried.
	for s.nc > 0 && len(p) > 0 {
		s.carry[s.nc] = p[0]
		s.nc++
		p = p[1:]
		k := s.scan(s.carry[:s.nc], false)
		s.nc = copy(s.carry[:], s.carry[k:s.nc])
	}
	if s.nc == 0 {
		k := s.scan(p, false)
		s.nc = copy(s.carry[:], p[k:])
	}
	return n, nil
}

// Close ends the input: bytes of an unfinished rune are separators, and the
// last word is emitted.
func (s *splitter) Close() error {
	s.scan(s.carry[:s.nc], true)
	s.nc = 0
	s.end()
	return nil
}

// scan splits b and returns how many bytes it used: all of them if final,
// else all but the start of a rune cut by the end of b.
func (s *splitter) scan(b []byte, final bool) int {
	i := 0
	for i < len(b) {
		if c := b[i]; c < utf8.RuneSelf {
			if l := asciiWord[c]; l != 0 {
				s.word = append(s.word, l)
			} else {
				s.end()
			}
			i++
			continue
		}
		if !final && !utf8.FullRune(b[i:]) {
			break
		}
		r, size := utf8.DecodeRune(b[i:])
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			s.word = utf8.AppendRune(s.word, unicode.ToLower(r))
		} else {
			s.end()
		}
		i += size
	}
	return i
}

func (s *splitter) end() {
	if len(s.word) > 0 {
		s.emit(s.word)
		s.word = s.word[:0]
	}
}

// eachWord calls fn with every word of r (see splitter). r is streamed in
// chunks of its buffer: no line, however long, is held whole.
func eachWord(r *bufio.Reader, fn func(word []byte)) error {
	s := newSplitter(fn)
	if _, err := copyN(r, s, -1); err != nil {
		return err
	}
	return s.Close()
}

// copyN copies n bytes of r to w, or all of r if n < 0, in chunks of r's
// buffer; it stops early, without error, at the end of r.
func copyN(r *bufio.Reader, w io.Writer, n int64) (int64, error) {
	var done int64
	for n < 0 || done < n {
		want := r.Size()
		if n >= 0 {
			want = int(min(int64(want), n-done))
		}
		chunk, err := r.Peek(want)
		if _, werr := w.Write(chunk); werr != nil {
			return done, werr
		}
		_, _ = r.Discard(len(chunk)) // Peek returned them: cannot fail
		done += int64(len(chunk))
		if errors.Is(err, io.EOF) {
			return done, nil
		}
		if err != nil {
			return done, fmt.Errorf("wordcount: %w", err)
		}
	}
	return done, nil
}

// tally counts words; counting a word it has seen allocates nothing.
type tally struct {
	index map[string]int
	words []string
	ns    []int64
}

func newTally() *tally { return &tally{index: make(map[string]int)} }

func (t *tally) add(w []byte, n int64) {
	if i, ok := t.index[string(w)]; ok {
		t.ns[i] += n
		return
	}
	s := string(w)
	t.index[s] = len(t.words)
	t.words = append(t.words, s)
	t.ns = append(t.ns, n)
}

func (t *tally) len() int { return len(t.words) }

// addTo adds the counts to m.
func (t *tally) addTo(m map[string]int64) {
	for i, w := range t.words {
		m[w] += t.ns[i]
	}
}

// CountSequential is the reference: a plain word count of r, with the same
// notion of a word as the job (see splitter), streamed in chunks, with no
// limit on the length of a line or of a word.
func CountSequential(r io.Reader) (map[string]int64, error) {
	t := newTally()
	if err := eachWord(bufio.NewReaderSize(r, 64<<10), func(w []byte) { t.add(w, 1) }); err != nil {
		return nil, err
	}
	counts := make(map[string]int64, t.len())
	t.addTo(counts)
	return counts, nil
}

// EachWord calls fn with every word of b, lower-cased (see the definition
// above); the slice fn gets is valid only during the call.
func EachWord(b []byte, fn func(word []byte)) error {
	s := newSplitter(fn)
	_, _ = s.Write(b)
	return s.Close()
}
