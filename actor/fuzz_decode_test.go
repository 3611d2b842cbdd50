package actor

import (
	"errors"
	"maps"
	"math"
	"reflect"
	"testing"

	pa "github.com/asynkron/protoactor-go/actor"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/rmactor/rmactor/codec"
)

// This file fuzzes what the actor layer decodes from envelope bodies taken
// out of mailbox rings and the inbox: the whole of decodeEnvelope (the
// envelope, then its payload through the codec, then the sender's PID), and
// the "rank:N" addresses of PIDs, which arrive inside messages.
// FuzzParseEnvelope (envelope_internal_test.go) covers the envelope format
// alone.

type fuzzNote struct {
	N int64
	S string
}

// sameMessage reports whether two decoded messages are equal: protobuf
// messages by proto.Equal, others by reflect.DeepEqual.
func sameMessage(a, b any) bool {
	if ma, ok := a.(proto.Message); ok {
		mb, ok := b.(proto.Message)
		return ok && proto.Equal(ma, mb)
	}
	return reflect.DeepEqual(a, b)
}

func samePID(a, b *PID) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.Address == b.Address && a.Id == b.Id && a.RequestId == b.RequestId
}

// FuzzDecodeEnvelope feeds System.decodeEnvelope, which turns every body a
// rank takes from its rings and inbox into a message, arbitrary bytes. It
// must not panic, and:
//
//   - bytes parseEnvelope rejects fail with ErrBadEnvelope; a payload the
//     codec rejects fails with the codec's ErrDecode or ErrUnknownType (and
//     not ErrBadEnvelope), with no message;
//   - otherwise the envelope holds what parseEnvelope alone finds, and the
//     message is the codec's decoding of the payload, bare when the envelope
//     has neither sender nor header, else in a MessageEnvelope carrying the
//     header and the sender's PID (nil for a rank outside the world);
//   - encoding the result again the way sendRemote does gives an envelope
//     that decodes to the same kind, target, header, sender and message.
func FuzzDecodeEnvelope(f *testing.F) {
	c, err := codec.New(codec.Type[*fuzzNote]("note"))
	if err != nil {
		f.Fatal(err)
	}
	addrs := []string{rankAddress(0), rankAddress(1), rankAddress(2)}
	s := &System{cfg: config{codec: c}, addrs: addrs}

	encode := func(e envelope, msg any) []byte {
		name, payload, err := c.AppendEncode(nil, msg)
		if err != nil {
			f.Fatal(err)
		}
		e.typeName, e.payload = name, payload
		return appendEnvelope(nil, &e)
	}
	f.Add(encode(envelope{kind: kindUser}, wrapperspb.Int64(42)))
	f.Add(encode(envelope{kind: kindUser}, &fuzzNote{N: -1, S: "note"}))
	f.Add(encode(envelope{kind: kindSystem, target: "parent/@a.3"}, &pa.Stop{}))
	f.Add(encode(envelope{kind: kindUser, target: "named", hasSender: true, senderRank: 2, senderID: "future$7", requestID: 9,
		header: map[string]string{"k": "v", "rmactor-collective": "12"}}, wrapperspb.String("s")))
	f.Add(encode(envelope{kind: kindUser, hasSender: true, senderRank: 3, senderID: "s/@1.2"}, &fuzzNote{}))
	f.Add(encode(envelope{kind: kindUser, hasSender: true, senderRank: 1<<31 - 1, senderID: "", requestID: math.MaxUint32}, &pa.PID{Address: "rank:1", Id: "x"}))
	f.Add(encode(envelope{kind: kindSystem, header: map[string]string{"": ""}}, &pa.Watch{Watcher: &pa.PID{Address: "rank:0", Id: "w"}}))
	f.Add(appendEnvelope(nil, &envelope{kind: kindUser, typeName: "note", payload: []byte{0xa1, 0x61, 'N', 0x63, 'a', 'b', 'c'}}))
	f.Add(appendEnvelope(nil, &envelope{kind: kindUser, typeName: "nope", payload: []byte{0xa0}}))
	f.Add(appendEnvelope(nil, &envelope{kind: kindUser, typeName: "pb:google.protobuf.Int64Value", payload: []byte{0xff}}))
	f.Add([]byte{kindUser, 0})
	f.Add([]byte{})

	f.Fuzz(func(t *testing.T, b []byte) {
		var env envelope
		msg, err := s.decodeEnvelope(b, &env)
		var parsed envelope
		if perr := parseEnvelope(b, &parsed); perr != nil {
			if !errors.Is(err, ErrBadEnvelope) || msg != nil {
				t.Fatalf("parseEnvelope fails (%v), decodeEnvelope gives %v, %v", perr, msg, err)
			}
			return
		}
		if e := sameEnvelope(&env, &parsed); e != nil {
			t.Fatalf("decodeEnvelope's envelope differs from parseEnvelope's: %v", e)
		}
		want, derr := c.Decode(parsed.typeName, parsed.payload)
		if derr != nil {
			if err == nil || msg != nil || errors.Is(err, ErrBadEnvelope) ||
				!errors.Is(err, codec.ErrDecode) && !errors.Is(err, codec.ErrUnknownType) {
				t.Fatalf("the codec fails (%v), decodeEnvelope gives %v, %v", derr, msg, err)
			}
			return
		}
		if err != nil {
			t.Fatalf("decodeEnvelope: %v", err)
		}
		check := func(e *envelope, msg any) {
			t.Helper()
			var wantSender *PID
			if e.hasSender && e.senderRank < len(addrs) {
				wantSender = &PID{Address: addrs[e.senderRank], Id: e.senderID, RequestId: e.requestID}
			}
			if !e.hasSender && e.header == nil {
				if _, ok := msg.(*pa.MessageEnvelope); ok || !sameMessage(msg, want) {
					t.Fatalf("decoded %#v, want the bare message %#v", msg, want)
				}
				return
			}
			me, ok := msg.(*pa.MessageEnvelope)
			if !ok {
				t.Fatalf("decoded %#v, want a MessageEnvelope", msg)
			}
			if !maps.Equal(map[string]string(me.Header), e.header) || !samePID(me.Sender, wantSender) || !sameMessage(me.Message, want) {
				t.Fatalf("decoded envelope {%v %v %#v}, want {%v %v %#v}", me.Header, me.Sender, me.Message, e.header, wantSender, want)
			}
		}
		check(&parsed, msg)

		// Encode again as sendRemote does, and decode.
		header, message, sender := pa.UnwrapEnvelope(msg)
		e2 := envelope{kind: env.kind, target: env.target}
		if sender != nil {
			k, err := s.rankOf(sender)
			if err != nil {
				t.Fatalf("the sender PID %v decoded does not name a rank: %v", sender, err)
			}
			e2.hasSender, e2.senderRank, e2.senderID, e2.requestID = true, k, sender.Id, sender.RequestId
		}
		if header != nil && header.Length() > 0 {
			e2.header = header.ToMap()
		}
		e2.typeName, e2.payload, err = c.AppendEncode(nil, message)
		if err != nil {
			t.Fatalf("decoded %#v, which does not encode: %v", message, err)
		}
		if e2.typeName != parsed.typeName {
			t.Fatalf("decoded as %q, encodes as %q", parsed.typeName, e2.typeName)
		}
		b2 := appendEnvelope(nil, &e2)
		var env2 envelope
		msg2, err := s.decodeEnvelope(b2, &env2)
		if err != nil {
			t.Fatalf("re-encoded envelope does not decode: %v\n in % x\nout % x", err, b, b2)
		}
		if env2.kind != parsed.kind || env2.target != parsed.target || !maps.Equal(env2.header, parsed.header) {
			t.Fatalf("round trip changed the envelope from %+v to %+v", parsed, env2)
		}
		h2, m2, s2 := pa.UnwrapEnvelope(msg2)
		var hm, hm2 map[string]string
		if header != nil {
			hm = header.ToMap()
		}
		if h2 != nil {
			hm2 = h2.ToMap()
		}
		if !samePID(s2, sender) || !sameMessage(m2, message) || len(hm) != len(hm2) || len(hm) > 0 && !maps.Equal(hm, hm2) {
			t.Fatalf("round trip changed the message from (%v, %v, %#v) to (%v, %v, %#v)", hm, sender, message, hm2, s2, m2)
		}
	})
}

// FuzzRankOfPID: RankOfPID accepts exactly the canonical "rank:N"
// addresses (N a non-negative decimal without sign or leading zeros, as
// PIDOn writes them) and rejects any other address with ErrInvalidPID;
// PIDOn's addresses decode back to their rank.
func FuzzRankOfPID(f *testing.F) {
	for _, a := range []string{"rank:0", "rank:7", "rank:007", "rank:-1", "rank:+1", "rank:", "rank:9223372036854775807",
		"rank:9223372036854775808", "Rank:1", "rank:1 ", "host:1", ""} {
		f.Add(a, 3)
	}
	f.Add("rank:1", math.MaxInt)
	f.Add("rank:1", -1)
	f.Fuzz(func(t *testing.T, address string, n int) {
		k, err := RankOfPID(&PID{Address: address, Id: "x"})
		if err != nil {
			if !errors.Is(err, ErrInvalidPID) || k != 0 {
				t.Fatalf("RankOfPID(%q) = %d, %v", address, k, err)
			}
		} else if k < 0 || rankAddress(k) != address {
			t.Fatalf("RankOfPID(%q) = %d, whose address is %q", address, k, rankAddress(k))
		}
		if n >= 0 {
			if got, err := RankOfPID(PIDOn(n, "x")); err != nil || got != n {
				t.Fatalf("RankOfPID(PIDOn(%d)) = %d, %v", n, got, err)
			}
		}
		if _, err := RankOfPID(nil); !errors.Is(err, ErrInvalidPID) {
			t.Fatalf("RankOfPID(nil): %v", err)
		}
	})
}
