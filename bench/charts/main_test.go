package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadTable(t *testing.T) {
	tb, err := readTable(strings.NewReader("size,a,b\n1,10,\n2,20,5\n"))
	if err != nil {
		t.Fatal(err)
	}
	if tb.x != "size" || len(tb.series) != 2 || len(tb.points[0]) != 2 || len(tb.points[1]) != 1 || tb.points[1][0].Y != 5 {
		t.Fatalf("read %+v", tb)
	}
	for _, bad := range []string{"", "x\n1\n", "x,a\n", "x,a\none,1\n", "x,a\n1,y\n", "x,a\n1,2,3\n"} {
		if _, err := readTable(strings.NewReader(bad)); !errors.Is(err, ErrBadTable) {
			t.Errorf("%q: %v, want ErrBadTable", bad, err)
		}
	}
}

func TestRunWritesAChart(t *testing.T) {
	dir := t.TempDir()
	in, out := filepath.Join(dir, "in.csv"), filepath.Join(dir, "out.svg")
	if err := os.WriteFile(in, []byte("bytes,rmactor,C\n1024,100,200\n1048576,3000,9000\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := run(in, out, "bandwidth", "MB/s", true, true); err != nil {
		t.Fatal(err)
	}
	svg, err := os.ReadFile(out)
	if err != nil || !strings.Contains(string(svg), "<svg") || !strings.Contains(string(svg), "rmactor") {
		t.Fatalf("%v: %.200s", err, svg)
	}
	if err := run(filepath.Join(dir, "missing.csv"), out, "", "", false, false); err == nil {
		t.Fatal("a missing input gave no error")
	}
}
