// pan-cc: -DSAFETY -DCOLLAPSE
// pan-run: -m100000 -w26
// bugs: BUG_PUBLISH_EARLY BUG_NO_LAP_CHECK BUG_LIMIT_BEFORE_HEAD BUG_OPEN_BEFORE_CLAIM

/*
 * RemoteChannel put / take / claim: the lock-free bounded ring of
 * rma/ring.go (tryPut, tryTake, read, claim), driven as rma/channel.go
 * drives it (putWait, takeWait, Claim). docs/protocol.md, section
 * "RemoteChannel: put, take, claim (models/ring.pml)", explains the model.
 *
 * Every window operation of the code is one atomic step here (a d_step or
 * a single assignment to a shared variable), in the code's order, with the
 * code's checks and retry loops. Statements on a goroutine's own variables
 * (t := hint, the switch on seq) are local statements. Ghost variables
 * (marked "ghost") record what happened for the assertions; the protocol
 * never reads them. Dead locals are reset so that they do not multiply
 * states.
 *
 * Configuration: 2 producers x 2 messages, 2 consumers and 1 claimer on two
 * ranks (handles), a 2-slot ring, start ticket 254 so that the 8-bit
 * counters and seq words wrap (as the code's wrap at 2^64; -DSTART=n
 * picks another start). Claims grow while puts
 * and takes run: the claimer calls Claim(0) (opens the channel, claims
 * nothing), Claim(1), Claim(1), Claim(2).
 *   -DTWO_CLAIMERS  two claimers, one per handle: Claim(1), Claim(1) and
 *                   Claim(0), Claim(2) (a much larger state space)
 *   -DONE_HANDLE    every process on handle 0: both producers share one
 *                   tailHint, everybody one ring.opened bit
 *   -DNO_INVARIANTS only the end-to-end properties (no slot-ownership and
 *                   seq-word invariants)
 *
 * Seeded bugs (each must make verification fail):
 *   BUG_PUBLISH_EARLY     Publish stores the seq word before length+payload
 *   BUG_NO_LAP_CHECK      tryPut reserves a ticket whose slot is not free
 *   BUG_LIMIT_BEFORE_HEAD tryTake loads the limit before the head
 *   BUG_OPEN_BEFORE_CLAIM claim stores "opened" before its FetchAdd
 */

#define CAP      2                 /* ring capacity (slots)              */
#define NPROD    2                 /* producers                          */
#define NMSG     2                 /* messages per producer              */
#define TOTAL    (NPROD*NMSG)      /* messages, and the sum of claims    */
#define NCLAIMS  4                 /* Claim calls in all                 */
#define NONE     255               /* "no claim" (Claimer arguments)     */
#ifndef START
#define START    254               /* first ticket: the counters wrap    */
#endif

/* The code's counters are uint64 and compared by signed difference
   (int64(a-b)); the model's are bytes, wrapping at 2^8 as the code's wrap
   at 2^64, compared by signed 8-bit difference. */
#define W(x)      ((x) % 256)
#define DIFF(a,b) ((((a) - (b) + 384) % 256) - 128)   /* int8(a-b) */
#define FREE(t)   W(2*(t))          /* freeSeq(t)                       */
#define COMMIT(t) W(2*(t) + 1)      /* committedSeq(t)                  */

#ifdef ONE_HANDLE
#define HANDLE(i) 0
#else
#define HANDLE(i) (i)
#endif

#ifdef NO_INVARIANTS
#define INV(x) skip
#else
#define INV(x) assert(x)
#endif

/* ---- the ring in the owner's window (ring.init, start = START) ------ */
byte tail;                /* base+64   next ticket to put                  */
byte head;                /* base+128  next ticket to take                 */
byte limit;               /* base+192  start + sum of all claims           */
bit  opened;              /* base+32   1 after the first claim             */
byte sseq[CAP];           /* slot seq word: 2t free, 2t+1 committed        */
byte slen[CAP];           /* slot length word (abstracted: the message id) */
byte sdata[CAP];          /* slot payload (abstracted: the message id)     */

/* ---- per-handle state, shared by one rank's goroutines -------------- */
#ifdef ONE_HANDLE
byte hint[2];             /* Channel.tailHint, shared by both producers    */
#define HINT(hd) hint[hd]
#else
#define HINT(hd) myhint   /* Channel.tailHint: one producer per handle     */
#endif
bit  hopened[2];          /* ring.opened: this rank has seen it opened     */

/* ---- ghosts ----------------------------------------------------------- */
byte putTicket[TOTAL+1];  /* ticket that message m reserved               */
bit  reserved[TOTAL+1];   /* message m reserved a ticket                   */
bit  taken[TOTAL+1];      /* message m was taken                           */
byte ntaken;              /* messages taken                                */
byte nclaimed;            /* Claim calls whose FetchAdd completed          */
bit  wown[CAP];           /* a producer reserved the slot, flag not stored */
byte wpend[CAP];          /* data words (length, payload) not written yet  */
bit  rown[CAP];           /* a consumer won the slot and has not freed it  */

#define SLOT(t) (W((t) - START + 256) % CAP)   /* ring.slotOff: (t-start) mod capacity */

/* ====================================================================== */
/* Producer p: NMSG times Channel.Put -> putWait -> ring.tryPut.           */
/* Message k of producer p is the id m = p*NMSG + k + 1 (0 is "none").     */
/* ====================================================================== */
proctype Producer(byte p; byte hd)
{
	byte k, m, t, s, sv, tv, prev;
#ifndef ONE_HANDLE
	byte myhint = START;	/* newChannel: tailHint = tail */
#endif

	do
	:: k == NMSG -> break
	:: else ->
		m = p*NMSG + k + 1;
putWait:	/* putWait: for { ... tryPut ... w.wait } */
		skip;
		/* tryPut: t := hint.Load() */
		d_step { t = HINT(hd); s = 0; sv = 0 };
tryPut:		/* tryPut: for { */
		skip;
		/* slot := r.slotOff(t); seq := r.load(slot + slotSeq) [Load] */
		d_step { s = SLOT(t); sv = sseq[s]; tv = 0; prev = 0 };
		if
		:: DIFF(sv, FREE(t)) < 0 ->
#ifndef BUG_NO_LAP_CHECK
			/* d < 0: ring full, return false; putWait: w.wait and
			   tryPut again. Every retry returns false until this
			   slot's seq changes, so wait for that. */
			(sseq[s] != sv);
			goto putWait
#else
			skip	/* BUG: reserve ticket t although its slot still holds t-CAP */
#endif
		:: DIFF(sv, FREE(t)) > 0 ->
			/* d > 0: tail := r.load(r.base + offTail)           [Load] */
			d_step { tv = tail; sv = 0 };
			assert(DIFF(tv, t) > 0);	/* int64(tail-t) <= 0: ErrCorrupt */
			t = tv;
			goto tryPut	/* continue */
		:: DIFF(sv, FREE(t)) == 0
		fi;
		/* prev := CompareAndSwap(r.base+offTail, t, t+1)          [CAS] */
		d_step {
			prev = tail; sv = 0;
			if
			:: prev == t -> tail = W(t + 1);
				putTicket[m] = t; reserved[m] = 1;	/* ghost */
				INV(!wown[s] && wpend[s] == 0 && !rown[s] && sseq[s] == FREE(t));
				wown[s] = 1; wpend[s] = 2
			:: else
			fi
		};
		if
		:: prev != t -> t = prev; goto tryPut	/* t = prev; continue */
		:: else
		fi;
		HINT(hd) = W(t + 1);	/* hint.Store(t+1) */
		/* r.win.Publish(slot+slotLen, len(msg), msg, slot+slotSeq, 2t+1)
		   MPI (rm_publish): Put(length); Put(payload); Win_flush;
		   Accumulate(seq, REPLACE); Win_flush. shm: store length, copy
		   payload, atomic store of seq. Each Put is one step, complete
		   when taken (see docs/protocol.md, "Model checking": no reader overlaps these writes). */
#ifdef BUG_PUBLISH_EARLY
		d_step { sseq[s] = COMMIT(t); wown[s] = 0 }	/* BUG: flag before data */
#endif
		d_step { slen[s] = m;  INV(!rown[s]); wpend[s]-- };	/* Put(length)  */
		d_step { sdata[s] = m; INV(!rown[s]); wpend[s]-- };	/* Put(payload); Win_flush */
#ifndef BUG_PUBLISH_EARLY
		d_step { INV(sseq[s] == FREE(t)); sseq[s] = COMMIT(t); wown[s] = 0 }	/* Accumulate(seq); Win_flush */
#endif
		d_step { k++; t = 0; s = 0; prev = 0 }	/* return true */
	od
}

/* ====================================================================== */
/* Consumer: Channel.Take -> takeWait -> ring.tryTake, until ErrNoMore     */
/* after every Claim was counted.                                          */
/* ====================================================================== */

/* h := r.load(r.base + offHead)                                    [Load]
   ghost ok: at one of this iteration's loads every claimed ticket had been
   reserved by a consumer (head >= limit). */
#define LOAD_HEAD	d_step { h = head; ok = ok || DIFF(head, limit) >= 0 }
/* lim := r.load(r.base + offLimit)                                 [Load]
   ghost all: every Claim was counted when the limit was read;
   ghost any: some Claim was counted when the limit was read. */
#define LOAD_LIMIT	d_step { lim = limit; ok = ok || DIFF(head, limit) >= 0; \
			         all = (nclaimed == NCLAIMS); any = (nclaimed > 0) }

proctype Consumer(byte hd)
{
	byte h, lim, s, sv, again, prev, n, m;
	bit v, ok, all, any;

takeWait:	/* takeWait: for { ... tryTake ... w.wait; Sync if owner } */
	skip;
	d_step { h = 0; lim = 0; s = 0; sv = 0; ok = 0; all = 0; any = 0 };
	/* tryTake: if !r.opened.Load() { */
	if
	:: hopened[hd] == 0 ->
		/* v := r.load(r.base + hdrOpened)                       [Load] */
		d_step { v = opened };
		if
		:: v == 0 ->
			/* notOpened: takeWait waits; every retry returns
			   notOpened until opened is set, so wait for that. */
			(opened == 1);
			goto takeWait
		:: else -> d_step { hopened[hd] = 1; v = 0 }	/* r.opened.Store(true) */
		fi
	:: else
	fi;
tryTake:	/* tryTake: for { */
	skip;
#ifndef BUG_LIMIT_BEFORE_HEAD
	LOAD_HEAD;
	LOAD_LIMIT;
#else
	LOAD_LIMIT;	/* BUG: limit loaded before head */
	LOAD_HEAD;
#endif
	if
	:: DIFF(lim, h) <= 0 ->
		/* int64(lim-h) <= 0: return noMore; takeWait: ErrNoMore.
		   It is linearisable: at an instant during the call every
		   claimed message had been taken (head >= limit) ... */
		assert(ok);
		/* ... and never before a Claim was counted (opening) */
		assert(any);
		if
		:: all -> goto done	/* no Claim is left to come: stop */
		:: else ->
			/* Claims are still to come: the caller Takes again
			   (after the next claim, or after the last one). */
			d_step { ok = 0; any = 0 };
			(limit != lim || nclaimed == NCLAIMS);
			goto takeWait
		fi
	:: else
	fi;
	/* slot := r.slotOff(h); seq := r.load(slot + slotSeq)          [Load] */
	d_step { s = SLOT(h); sv = sseq[s]; lim = 0; ok = 0; all = 0; any = 0 };
	if
	:: DIFF(sv, COMMIT(h)) < 0 ->
		/* d < 0: return empty; takeWait waits. Every retry returns
		   empty until head or this slot's seq changes (the limit only
		   grows), so wait for that. */
		(head != h || sseq[s] != sv);
		goto takeWait
	:: DIFF(sv, COMMIT(h)) > 0 ->
		/* d > 0: again := r.load(r.base + offHead)              [Load] */
		d_step { again = head; sv = 0 };
		assert(again != h);	/* again == h: ErrCorrupt */
		again = 0;
		goto tryTake	/* continue */
	:: else
	fi;
	/* prev := CompareAndSwap(r.base+offHead, h, h+1)               [CAS] */
	d_step {
		prev = head; sv = 0;
		if
		:: prev == h -> head = W(h + 1);
			assert(DIFF(limit, head) >= 0);	/* takes never overshoot the claims */
			INV(!rown[s] && sseq[s] == COMMIT(h));
			rown[s] = 1
		:: else
		fi
	};
	if
	:: prev != h -> prev = 0; goto tryTake	/* continue */
	:: else -> prev = 0
	fi;
	/* r.read: n := r.load(slot + slotLen)                          [Load]
	   (n > msgSize would be ErrCorrupt: every writer writes a valid
	   length; the model checks instead that n is this message's) */
	d_step { n = slen[s]; INV(wpend[s] == 0) };
	/* r.read: r.win.Get(slot + slotData) or copy from r.local       [Get] */
	d_step { m = sdata[s]; INV(wpend[s] == 0) };
	/* r.win.Store(slot + slotSeq, 2(h + capacity)); return took   [Store]
	   What was read is one whole message, the one that reserved ticket
	   h, and it was not taken before. */
	d_step {
		INV(sseq[s] == COMMIT(h));
		sseq[s] = FREE(h + CAP);
		rown[s] = 0;
		assert(m != 0 && n == m);
		assert(reserved[m] && putTicket[m] == h);
		assert(!taken[m]);
		taken[m] = 1;
		ntaken++;
		h = 0; s = 0; n = 0; m = 0
	};
	goto takeWait;	/* Take returned the message; the caller Takes again */
done:
	skip
}

/* ====================================================================== */
/* Claimer: Channel.Claim(n) -> ring.claim(n) for each n in order.         */
/* ====================================================================== */

/* old := r.win.FetchAdd(r.base + offLimit, n)                       [FAA]
   (its 2^62 overflow check never fires here: the claims total TOTAL) */
#define CLAIM_ADD(n)	d_step { limit = W(limit + (n)); nclaimed++ }
/* if r.opened.Load() { return nil }
   r.win.Store(r.base + hdrOpened, 1)                               [Store]
   r.opened.Store(true) */
#define CLAIM_OPEN(hd)	if \
			:: hopened[hd] == 1 \
			:: else -> opened = 1; hopened[hd] = 1 \
			fi

inline claim(hd, n)
{
#ifdef BUG_OPEN_BEFORE_CLAIM
	CLAIM_OPEN(hd);		/* BUG: opened before the claim is counted */
#endif
	CLAIM_ADD(n);
#ifndef BUG_OPEN_BEFORE_CLAIM
	CLAIM_OPEN(hd);
#endif
}

proctype Claimer(byte hd; byte n0; byte n1; byte n2; byte n3)
{
	claim(hd, n0);
	claim(hd, n1);
	if :: n2 != NONE -> claim(hd, n2) :: else fi;
	if :: n3 != NONE -> claim(hd, n3) :: else fi
}

init
{
	byte i;
	d_step {
		/* ring.init(start = START): tail = head = limit = START,
		   opened = 0, slot of ticket START+i free for it */
		tail = START; head = START; limit = START;
#ifdef ONE_HANDLE
		hint[0] = START;	/* newChannel: tailHint = tail */
#endif
		do
		:: i < CAP -> sseq[SLOT(START + i)] = FREE(START + i); i++
		:: else -> break
		od;
		i = 0
	};
	atomic {
		run Producer(0, HANDLE(0));
		run Producer(1, HANDLE(1));
		run Consumer(HANDLE(0));
		run Consumer(HANDLE(1));
#ifndef TWO_CLAIMERS
		run Claimer(HANDLE(0), 0, 1, 1, 2)
#else
		run Claimer(HANDLE(0), 1, 1, NONE, NONE);
		run Claimer(HANDLE(1), 0, 2, NONE, NONE)
#endif
	};
	/* Every process must finish. A producer or consumer blocked for good
	   leaves init waiting here: pan reports an invalid end state. */
	(_nr_pr == 1);
	/* End state: every message put was taken exactly once. */
	d_step {
		assert(tail == W(START + TOTAL) && head == tail && limit == tail);
		assert(ntaken == TOTAL);
		i = 1;
		do
		:: i <= TOTAL -> assert(taken[i] && reserved[i]); i++
		:: else -> break
		od
	}
}
