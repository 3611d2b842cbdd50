package mailbox

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestRelayWireRoundTrip(t *testing.T) {
	acks := []relayAck{{key: -1, taken: 3}, {key: 7, taken: 1}}
	frame := []byte{frameMagic, frameVersion, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 'x'}
	b := append(appendRelayHeader(nil, relayFrame, 7, acks), frame...)
	m, err := parseRelay(b, nil)
	require.NoError(t, err)
	require.Equal(t, byte(relayFrame), m.kind)
	require.Equal(t, 7, m.key)
	require.Equal(t, acks, m.acks)
	require.Equal(t, frame, m.frame)

	place := chunkPlace{inc: 2, length: 10, offset: 20, total: 30}
	b = appendChunkPlace(appendRelayHeader(nil, relayChunk, -1, nil), place)
	m, err = parseRelay(b, nil)
	require.NoError(t, err)
	require.Equal(t, -1, m.key)
	require.Equal(t, place, m.chunk)

	m, err = parseRelay(appendRelayHeader(nil, relayAcks, 0, acks[:1]), nil)
	require.NoError(t, err)
	require.Equal(t, acks[:1], m.acks)
}

func TestRelayWireRejects(t *testing.T) {
	chunk := func(c chunkPlace) []byte { return appendChunkPlace(appendRelayHeader(nil, relayChunk, 0, nil), c) }
	for name, b := range map[string][]byte{
		"short":           {relayFrame, 0, 0},
		"reserved byte":   {relayAcks, 1, 0, 0, 0, 0, 0, 0},
		"unknown kind":    appendRelayHeader(nil, 9, 0, nil),
		"acks cut short":  appendRelayHeader(nil, relayAcks, 0, []relayAck{{1, 1}})[:relayHeader+4],
		"bytes after ack": append(appendRelayHeader(nil, relayAcks, 0, nil), 0),
		"key below -1":    appendRelayHeader(nil, relayAcks, -2, nil),
		"chunk place cut": chunk(chunkPlace{length: 1, total: 1})[:relayHeader+10],
		"empty chunk":     chunk(chunkPlace{length: 0, total: 8}),
		"chunk past end":  chunk(chunkPlace{length: 8, offset: 4, total: 8}),
		"huge envelope":   chunk(chunkPlace{length: 8, total: maxTotal + 1}),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := parseRelay(b, nil)
			require.ErrorIs(t, err, ErrBadFrame)
		})
	}
}

func FuzzParseRelay(f *testing.F) {
	f.Add(appendRelayHeader(nil, relayAcks, 3, []relayAck{{1, 2}}))
	f.Add(appendChunkPlace(appendRelayHeader(nil, relayChunk, 0, nil), chunkPlace{length: 4, total: 8}))
	f.Add(append(appendRelayHeader(nil, relayFrame, -1, nil), frameMagic, frameVersion, 1, 0))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := parseRelay(b, nil)
		if err != nil {
			return
		}
		if m.kind == relayChunk {
			c := m.chunk
			if c.length == 0 || c.offset+uint64(c.length) > c.total || c.total > maxTotal {
				t.Fatalf("accepted chunk place %+v", c)
			}
		}
	})
}
