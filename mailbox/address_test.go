package mailbox_test

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/rmactor/rmactor/mailbox"
)

func TestAddressString(t *testing.T) {
	cases := []struct {
		a    mailbox.Address
		want string
	}{
		{mailbox.Address{}, "@0.0"},
		{mailbox.Address{Index: 10, Incarnation: 3}, "@a.3"},
		{mailbox.Address{Index: 35, Incarnation: 36}, "@z.10"},
		{mailbox.Address{Index: math.MaxInt32, Incarnation: math.MaxUint32}, "@zik0zj.1z141z3"},
	}
	for _, c := range cases {
		if got := c.a.String(); got != c.want {
			t.Errorf("%+v.String() = %q, want %q", c.a, got, c.want)
		}
		if !strings.HasPrefix(c.a.String(), mailbox.AddressPrefix) {
			t.Errorf("%q lacks the prefix %q", c.a.String(), mailbox.AddressPrefix)
		}
	}
}

func TestParseID(t *testing.T) {
	cases := []struct {
		id   string
		want mailbox.Address
		ok   bool
	}{
		{"@a.3", mailbox.Address{Index: 10, Incarnation: 3}, true},
		{"parent/@a.3", mailbox.Address{Index: 10, Incarnation: 3}, true},
		{"root/parent/@0.0", mailbox.Address{}, true},
		{"@zik0zj.1z141z3", mailbox.Address{Index: math.MaxInt32, Incarnation: math.MaxUint32}, true},
		{"/@1.2", mailbox.Address{Index: 1, Incarnation: 2}, true},
		// Ids without an address: named actors, and paths whose address is
		// not in the last segment.
		{"", mailbox.Address{}, false},
		{"counter", mailbox.Address{}, false},
		{"parent/child", mailbox.Address{}, false},
		{"@a.3/child", mailbox.Address{}, false},
		{"parent/", mailbox.Address{}, false},
		{"parent/x@a.3", mailbox.Address{}, false},
	}
	for _, c := range cases {
		a, ok, err := mailbox.ParseID(c.id)
		if err != nil || ok != c.ok || a != c.want {
			t.Errorf("ParseID(%q) = %+v, %v, %v; want %+v, %v, nil", c.id, a, ok, err, c.want, c.ok)
		}
	}
}

func TestParseIDMalformed(t *testing.T) {
	for _, id := range []string{
		"@",
		"@x",
		"@1.",
		"@.1",
		"@.",
		"@1.zzzzzzzzzzzzz", // incarnation over 32 bits
		"@1.1z141z4",       // 2^32: one past the largest incarnation
		"@zik0zk.1",        // 2^31: one past the largest index
		"@zzzzzzzzzzzzzzzzzzzzzzzzzzzzz.1",
		"@-1.2",
		"@1.-2",
		"@+1.2",
		"@1_0.2",
		"@1.2.3",
		"@1 .2",
		"@ 1.2",
		"@1.2 ",
		"@é.1",
		"parent/@",
		"parent/@x",
		"a/b/@1.",
	} {
		a, ok, err := mailbox.ParseID(id)
		if !errors.Is(err, mailbox.ErrBadAddress) || ok || a != (mailbox.Address{}) {
			t.Errorf("ParseID(%q) = %+v, %v, %v; want ErrBadAddress", id, a, ok, err)
		}
	}
}

func TestWithAddress(t *testing.T) {
	a := mailbox.Address{Index: 10, Incarnation: 3}
	cases := map[string]string{
		"":               "@a.3",
		"counter":        "@a.3",
		"parent/child":   "parent/@a.3",
		"parent/@0.0":    "parent/@a.3",
		"a/b/c":          "a/b/@a.3",
		"parent/":        "parent/@a.3",
		"/":              "/@a.3",
		"$1/worker/@z.z": "$1/worker/@a.3",
	}
	for id, want := range cases {
		got := mailbox.WithAddress(id, a)
		if got != want {
			t.Errorf("WithAddress(%q) = %q, want %q", id, got, want)
		}
		back, ok, err := mailbox.ParseID(got)
		if err != nil || !ok || back != a {
			t.Errorf("ParseID(WithAddress(%q)) = %+v, %v, %v", id, back, ok, err)
		}
	}
}

// TestAddressRoundTrip: every address a pool can hand out (index below 2^31,
// any incarnation) survives String and ParseID, alone or in a path.
func TestAddressRoundTrip(t *testing.T) {
	var addrs []mailbox.Address
	for _, i := range []int{0, 1, 35, 36, 1295, 1296, 1 << 20, math.MaxInt32 - 1, math.MaxInt32} {
		for _, n := range []uint32{0, 1, 35, 36, 1<<23 - 1, 1 << 23, math.MaxUint32 - 1, math.MaxUint32} {
			addrs = append(addrs, mailbox.Address{Index: i, Incarnation: n})
		}
	}
	for _, a := range addrs {
		for _, id := range []string{a.String(), mailbox.WithAddress("parent/x", a), mailbox.WithAddress("a/b/c", a)} {
			back, ok, err := mailbox.ParseID(id)
			if err != nil || !ok || back != a {
				t.Fatalf("%+v: ParseID(%q) = %+v, %v, %v", a, id, back, ok, err)
			}
		}
	}
}

func FuzzParseID(f *testing.F) {
	for _, s := range []string{
		"", "@", "@x", "@1.", "@1.zzzzzzzzzzzzz", "@a.3", "parent/@a.3", "named", "a/b/",
		"@zik0zj.1z141z3", "@zik0zk.1", "@A.3", "@00.01", "@1.2.3", "x/@1.2/y",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, id string) {
		a, ok, err := mailbox.ParseID(id)
		seg := id[strings.LastIndexByte(id, '/')+1:]
		if err != nil {
			if !errors.Is(err, mailbox.ErrBadAddress) || ok || a != (mailbox.Address{}) {
				t.Fatalf("ParseID(%q) = %+v, %v, %v", id, a, ok, err)
			}
			if !strings.HasPrefix(seg, mailbox.AddressPrefix) {
				t.Fatalf("ParseID(%q) fails on a last segment without the prefix: %v", id, err)
			}
			return
		}
		if !ok {
			if a != (mailbox.Address{}) || strings.HasPrefix(seg, mailbox.AddressPrefix) {
				t.Fatalf("ParseID(%q) = %+v, false, nil", id, a)
			}
			return
		}
		if a.Index < 0 || a.Index > math.MaxInt32 {
			t.Fatalf("ParseID(%q): index %d out of range", id, a.Index)
		}
		// The canonical form parses back to the same address, alone and in
		// place of the id's last segment, and is stable.
		s := a.String()
		if back, ok, err := mailbox.ParseID(s); err != nil || !ok || back != a {
			t.Fatalf("ParseID(%q) = %+v; ParseID(%q) = %+v, %v, %v", id, a, s, back, ok, err)
		}
		re := mailbox.WithAddress(id, a)
		if back, ok, err := mailbox.ParseID(re); err != nil || !ok || back != a {
			t.Fatalf("ParseID(%q) = %+v; ParseID(%q) = %+v, %v, %v", id, a, re, back, ok, err)
		}
		if mailbox.WithAddress(re, a) != re {
			t.Fatalf("WithAddress is not idempotent on %q", re)
		}
		if !strings.HasSuffix(re, s) || re[:len(re)-len(s)] != id[:len(id)-len(seg)] {
			t.Fatalf("WithAddress(%q, %+v) = %q changed the path", id, a, re)
		}
	})
}
