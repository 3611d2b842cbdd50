package mailbox

import (
	"errors"
	"fmt"
)

// assembler is the receiving side of the rendezvous for one ring (a
// mailbox ring, or the inbox). Whoever takes frames from the ring (the
// mailbox's run, the poller for the inbox or an unbound ring; one at a
// time) passes the parsed entries through resolve, which reads each staged
// chunk from its sender's staging window, releases the block, and puts the
// whole envelope in the place of its last chunk. A sender's chunks of one
// envelope come in order and back to back in its stream to the ring, so at
// most one envelope per sender is partly read, and the order of a sender's
// envelopes is kept.
type assembler struct {
	r     *Rank
	parts map[int]*partial // by sender rank
}

// partial is an envelope whose chunks are still arriving.
type partial struct {
	inc uint32
	buf []byte
	got uint64
}

// resolve replaces the staged entries of a frame by the envelopes they
// complete, in place. A chunk that cannot be read is logged and counted as
// a bad frame, and its envelope dropped; nothing half read is delivered.
func (a *assembler) resolve(entries []Entry) []Entry {
	out := entries[:0]
	for _, e := range entries {
		if !e.Staged {
			out = append(out, e)
			continue
		}
		body, err := a.chunk(e)
		if err != nil {
			a.r.stats.badFrames.Add(1)
			a.r.cfg.Logger.Error("mailbox: dropped a large message", zapErr(err))
			continue
		}
		if body != nil {
			out = append(out, Entry{Incarnation: e.Incarnation, Body: body, pooled: true})
		}
	}
	return out
}

// chunk reads one staged chunk and returns the envelope if it was the last.
func (a *assembler) chunk(e Entry) ([]byte, error) {
	r := a.r
	d, err := parseDescriptor(e.Body)
	if err != nil {
		return nil, err
	}
	if d.rank >= r.world.Size() || d.block >= r.stage.nblocks || d.length > r.cfg.ChunkBytes {
		return nil, fmt.Errorf("%w: chunk from rank %d, block %d, %d bytes: out of bounds", ErrBadFrame, d.rank, d.block, d.length)
	}
	p, err := a.accept(e.Incarnation, d)
	if err == nil {
		err = r.stage.win.Get(d.rank, r.stage.blockOffset(d.block), p.buf[d.offset:d.offset+uint64(d.length)])
	}
	// Released whatever happened: the block is the sender's, and a chunk we
	// cannot use must not hold it for ever. A get that failed leaves the
	// envelope incomplete: it is dropped below.
	if rerr := r.ctl.Store(d.rank, r.stage.stateOffset(d.block), d.tag); rerr != nil {
		err = errors.Join(err, fmt.Errorf("mailbox: releasing block %d of rank %d: %w", d.block, d.rank, rerr))
	} else {
		r.wakeFlusher(d.rank)
	}
	if err != nil {
		a.drop(d.rank)
		return nil, err
	}
	r.stats.bytesIn.Add(uint64(d.length))
	p.got += uint64(d.length)
	if p.got < uint64(len(p.buf)) {
		return nil, nil
	}
	a.drop(d.rank)
	return p.buf, nil
}

// accept finds the envelope a chunk belongs to: a new one for the first
// chunk, else the one this sender is in the middle of, which the chunk must
// continue exactly.
func (a *assembler) accept(inc uint32, d descriptor) (*partial, error) {
	p := a.parts[d.rank]
	if d.offset == 0 {
		if p != nil {
			a.drop(d.rank)
			a.r.stats.badFrames.Add(1)
			a.r.cfg.Logger.Error("mailbox: dropped a large message cut short by its sender",
				zapErr(fmt.Errorf("%w: rank %d started another after %d of %d bytes", ErrBadFrame, d.rank, p.got, len(p.buf))))
		}
		if d.total > uint64(a.r.cfg.MaxMessageBytes) {
			return nil, fmt.Errorf("%w: %d-byte envelope from rank %d, the maximum is %d", ErrBadFrame, d.total, d.rank, a.r.cfg.MaxMessageBytes)
		}
		p = &partial{inc: inc, buf: a.r.bufs.get(int(d.total))}
		if uint64(d.length) < d.total {
			if a.parts == nil {
				a.parts = make(map[int]*partial)
			}
			a.parts[d.rank] = p
			a.r.stats.assemblingHigh.raise(a.r.stats.assembling.Add(int64(d.total)))
		}
		return p, nil
	}
	if p == nil || p.got != d.offset || uint64(len(p.buf)) != d.total || p.inc != inc {
		return nil, fmt.Errorf("%w: chunk at %d of a %d-byte envelope from rank %d continues nothing", ErrBadFrame, d.offset, d.total, d.rank)
	}
	return p, nil
}

// drop forgets the envelope rank is in the middle of, if any.
func (a *assembler) drop(rank int) {
	if p, ok := a.parts[rank]; ok {
		a.r.stats.assembling.Add(-int64(len(p.buf)))
		delete(a.parts, rank)
	}
}

// recycle gives an entry's assembly buffer back, once the entry has been
// decoded or reported.
func (r *Rank) recycle(e Entry) {
	if e.pooled {
		r.bufs.put(e.Body)
	}
}
