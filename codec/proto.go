package codec

import (
	"fmt"
	"maps"
	"reflect"
	"sync"
	"sync/atomic"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
)

// typeProtoMessage is set at initialization and never changed.
var typeProtoMessage = reflect.TypeFor[proto.Message]()

// protoUnmarshalOptions are the options of every protobuf decode: unknown
// fields are kept (so that a newer sender's fields survive a re-encode),
// required fields are checked, and nesting is bounded by protobuf's default
// limit, made explicit.
func protoUnmarshalOptions() proto.UnmarshalOptions {
	return proto.UnmarshalOptions{
		// Every decode is into a new message, so there is nothing to
		// reset: merging skips protobuf's reset pass.
		Merge:          true,
		DiscardUnknown: false,
		AllowPartial:   false,
		RecursionLimit: protowire.DefaultRecursionLimit,
	}
}

// protoCache remembers the wire names of protobuf message types and the
// message types of wire names, so that the hot path neither builds strings
// nor searches the registry. Only names found in the registry are kept, so
// it is bounded by the program's message types. Lookups take no lock: the
// maps are copied on write (once per type) and read through atomic
// pointers (for every message). A nil cache caches nothing.
type protoCache struct {
	mu     sync.Mutex // serialises writers
	names  atomic.Pointer[map[protoreflect.MessageDescriptor]string]
	byName atomic.Pointer[map[string]protoreflect.MessageType]
}

func newProtoCache() *protoCache {
	pc := &protoCache{}
	pc.names.Store(&map[protoreflect.MessageDescriptor]string{})
	pc.byName.Store(&map[string]protoreflect.MessageType{})
	return pc
}

// storeCopy publishes a copy of *p with k set to v.
func storeCopy[K comparable, V any](mu *sync.Mutex, p *atomic.Pointer[map[K]V], k K, v V) {
	mu.Lock()
	defer mu.Unlock()
	next := maps.Clone(*p.Load())
	next[k] = v
	p.Store(&next)
}

func (pc *protoCache) name(d protoreflect.MessageDescriptor) string {
	if pc == nil {
		return protoPrefix + string(d.FullName())
	}
	if name, ok := (*pc.names.Load())[d]; ok {
		return name
	}
	name := protoPrefix + string(d.FullName())
	storeCopy(&pc.mu, &pc.names, d, name)
	return name
}

func (pc *protoCache) messageType(name string) (protoreflect.MessageType, error) {
	if pc != nil {
		if mt, ok := (*pc.byName.Load())[name]; ok {
			return mt, nil
		}
	}
	// An invalid name is simply not found.
	mt, err := protoregistry.GlobalTypes.FindMessageByName(protoreflect.FullName(name[len(protoPrefix):]))
	if err != nil {
		return nil, err
	}
	if pc != nil {
		storeCopy(&pc.mu, &pc.byName, name, mt)
	}
	return mt, nil
}

// appendProto appends the protobuf encoding of m to dst and returns its name.
// With grow set, it sizes m first and lets grow make the room.
func (pc *protoCache) appendProto(dst []byte, m proto.Message, grow Grow) (string, []byte, error) {
	name := pc.name(m.ProtoReflect().Descriptor())
	if len(name) > MaxNameLen {
		return "", dst, fmt.Errorf("%w: %s: the name is longer than %d bytes", ErrEncode, quoteName(name), MaxNameLen)
	}
	opts := proto.MarshalOptions{}
	if grow != nil {
		// Size caches the sizes of m and its submessages, and the
		// marshal right after reuses them, so sizing first costs
		// nothing extra: the encoder sizes the message anyway.
		if n := opts.Size(m); cap(dst)-len(dst) < n {
			dst = grow(dst, n)
		}
		opts.UseCachedSize = true
	}
	out, err := opts.MarshalAppend(dst, m)
	if err != nil {
		return "", dst, fmt.Errorf("%w: %q: %w", ErrEncode, name, err)
	}
	return name, out, nil
}

// decodeProto decodes payload as the protobuf message that name, which starts
// with "pb:", names.
func (pc *protoCache) decodeProto(name string, payload []byte) (any, error) {
	mt, err := pc.messageType(name)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: no such protobuf message in this program: %w", ErrUnknownType, quoteName(name), err)
	}
	m := mt.New().Interface()
	if err := unmarshalProto(payload, m); err != nil {
		return nil, fmt.Errorf("%w: %q: %w", ErrDecode, name, err)
	}
	return m, nil
}

// unmarshalProto unmarshals payload into m. Generated message types decode
// with protobuf's own code, but a legacy message type in the registry may
// decode with methods of its own: a panic there is an error, not a crash.
func unmarshalProto(payload []byte, m proto.Message) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: %v", errPanic, r)
		}
	}()
	return protoUnmarshalOptions().Unmarshal(payload, m)
}
