package codec

import (
	"math/big"
	"reflect"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type wLeaf struct{ N int }

type wList struct {
	V    int
	Next *wList
}

type wMutual struct{ Other *wOther }
type wOther struct{ Back []wMutual }

type wIface struct{ V any }

type wEmbedded struct{ X, Y int }
type wEmbeddedPtr struct{ Z int }
type wHidden struct{ H any }

type wOuter struct {
	wEmbedded                // promoted
	*wEmbeddedPtr            // promoted through a pointer
	Named         wLeaf      `cbor:"named"`
	Tagged        wEmbedded  `json:"tagged"`
	Skipped       any        `cbor:"-"`
	JSkipped      chan int   `json:"-"`
	private       chan int   // not encoded
	wHidden       `cbor:"h"` // a named field, not promoted
}

// wSelf embeds a pointer to itself: the encoder ignores that embedded field.
type wSelf struct {
	*wSelf
	V int
}

func analyze(t *testing.T, v any) bool {
	t.Helper()
	walk, err := analyzeType(reflect.TypeOf(v), plans{}, map[reflect.Type]bool{})
	require.NoError(t, err)
	return walk
}

func TestAnalyzeType(t *testing.T) {
	assert.False(t, analyze(t, wLeaf{}))
	assert.False(t, analyze(t, &wLeaf{}))
	assert.False(t, analyze(t, map[string][]wLeaf{}))
	assert.False(t, analyze(t, struct {
		T time.Time
		B *big.Int
		R cbor.RawMessage
	}{}))
	assert.False(t, analyze(t, wSelf{}), "the encoder ignores the embedded *wSelf")
	assert.True(t, analyze(t, wList{}))
	assert.True(t, analyze(t, wMutual{}))
	assert.True(t, analyze(t, wOther{}))
	assert.True(t, analyze(t, wIface{}))
	assert.True(t, analyze(t, []any{}))
	assert.True(t, analyze(t, cbor.Tag{}))
	assert.True(t, analyze(t, wOuter{}), "through the named wHidden")
}

func TestStructPlan(t *testing.T) {
	var paths [][]int
	for _, f := range structPlan(reflect.TypeFor[wOuter]()) {
		paths = append(paths, f.path)
	}
	assert.Equal(t, [][]int{{2}, {3}, {7}, {0, 0}, {0, 1}, {1, 0}}, paths)
	self := structPlan(reflect.TypeFor[wSelf]())
	require.Len(t, self, 1)
	assert.Equal(t, []int{1}, self[0].path, "only V: the embedded *wSelf is skipped")
}

func TestWalkEmbedded(t *testing.T) {
	c, err := New(Type[wOuter]("outer"), Type[*wSelf]("self"))
	require.NoError(t, err)

	msg := wOuter{wEmbedded: wEmbedded{1, 2}, Named: wLeaf{3}, wHidden: wHidden{H: "h"}}
	name, b, err := c.AppendEncode(nil, msg)
	require.NoError(t, err)
	got, err := c.Decode(name, b)
	require.NoError(t, err)
	assert.Equal(t, msg, got)

	msg.wEmbeddedPtr = &wEmbeddedPtr{Z: 4}
	loop := map[string]any{}
	loop["loop"] = loop
	msg.wHidden.H = loop
	_, _, err = c.AppendEncode(nil, msg)
	require.ErrorIs(t, err, ErrEncode)

	// A cycle through a field the encoder skips is no cycle.
	msg.wHidden.H = nil
	msg.Skipped = loop
	_, _, err = c.AppendEncode(nil, msg)
	require.NoError(t, err)

	self := &wSelf{V: 1}
	self.wSelf = self
	name, b, err = c.AppendEncode(nil, self)
	require.NoError(t, err)
	got, err = c.Decode(name, b)
	require.NoError(t, err)
	assert.Equal(t, &wSelf{V: 1}, got)
}

func TestWalkTags(t *testing.T) {
	c, err := New(Type[wIface]("iface"))
	require.NoError(t, err)

	msg := wIface{V: cbor.Tag{Number: 100, Content: cbor.Tag{Number: 101, Content: []any{uint64(1)}}}}
	name, b, err := c.AppendEncode(nil, msg)
	require.NoError(t, err)
	got, err := c.Decode(name, b)
	require.NoError(t, err)
	assert.Equal(t, msg, got)

	tag := &cbor.Tag{Number: 100}
	tag.Content = tag
	_, _, err = c.AppendEncode(nil, wIface{V: tag})
	require.ErrorIs(t, err, ErrEncode)

	var self any
	self = &self
	_, _, err = c.AppendEncode(nil, wIface{V: cbor.Tag{Number: 100, Content: self}})
	require.ErrorIs(t, err, ErrEncode)
}
