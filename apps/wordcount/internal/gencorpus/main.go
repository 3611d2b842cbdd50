// Command gencorpus writes the wordcount app's awkward test corpus (see
// package wordcounttest) into a directory, for scripts/test:
//
//	go run ./apps/wordcount/internal/gencorpus [-seed N] DIR
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/rmactor/rmactor/apps/wordcount/wordcounttest"
)

func main() {
	seed := flag.Uint64("seed", 1, "random seed")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: gencorpus [-seed N] DIR")
		os.Exit(2)
	}
	if err := wordcounttest.WriteCorpus(flag.Arg(0), *seed); err != nil {
		fmt.Fprintln(os.Stderr, "gencorpus:", err)
		os.Exit(1)
	}
}
