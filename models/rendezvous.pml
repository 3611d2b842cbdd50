// pan-cc: -DSAFETY -DCOLLAPSE
// pan-run: -m100000 -w26
// bugs: BUG_RELEASE_BEFORE_GET BUG_DESC_BEFORE_STAGE BUG_ANY_RELEASE BUG_ACQUIRE_UNLOCKED

/*
 * Rendezvous for messages too large for a ring slot: the sender stages
 * each chunk in a block of its own staging window and puts a descriptor
 * into the target's mailbox ring; the receiver Gets the chunk from the
 * sender's block and releases the block by storing the descriptor's tag
 * into the block's state word, which lies at the end of the sender's
 * CONTROL window, not in the staging window (mailbox/staging.go
 * stager.stage, mailbox/outlet.go Outlet.flushLarge, mailbox/assemble.go
 * assembler.chunk). docs/protocol.md, section "Rendezvous for large
 * messages (models/rendezvous.pml)", maps each step to the code and argues
 * the abstractions.
 *
 * Every window operation of the code is one atomic step here, in the
 * code's order: the stager's LoadLocal of a state word (stateWord, called
 * by reclaim), the copy of a chunk into a block (stager.write; two steps:
 * the copy is not atomic), the Publish of the descriptor frame into the
 * ring (TryPut), the receiver's Get (two steps) and its Store of the
 * release. One difference, argued sound in the docs: stager.stage picks
 * the block, copies the chunk and records the tag all under the stager's
 * mutex; here the pick and the tag are one atomic step (the mutex) and
 * the copy comes after it, outside the mutex, which allows more
 * interleavings than the code has. Statements on a goroutine's own
 * variables ride along with the window operation next to them. The
 * mailbox ring is a Promela channel whose put and take are atomic
 * (rma/ring.go is checked by ring.pml).
 * Ghost variables (marked "ghost") record what happened for the
 * assertions; the protocol never reads them. Dead locals are reset so that
 * they do not multiply states.
 *
 * Configuration: one sender rank with NB = 2 staging blocks and two
 * outlets (one per target ring), two receivers (the consumers of the two
 * rings), ring capacity RCAP = 1. Outlet 0 sends messages 1 and 2 to
 * ring 0, outlet 1 sends message 3 to ring 1; each message has 1 to MAXCH
 * = 3 chunks, chosen nondeterministically, so blocks are reused.
 *
 * -DSENDER_FAILS (models/rendezvous_fail.pml): the sender rank may fail.
 * At any moment while its outlets run (or never) it stops for good, both
 * outlets at once, between any two of its steps. Receivers must then
 * neither deliver a partial message nor read garbage; they may keep a
 * partial message that never completes.
 *
 * Options: -DNB=1..3, -DRCAP=n, -DMAXCH=1..3, -DM0=n -DM1=n (messages to
 * ring 0 and ring 1), -DNO_INVARIANTS (only the end-to-end properties: no
 * ownership invariants, no per-chunk check at the Get).
 *
 * Seeded bugs (each must make verification fail):
 *   BUG_RELEASE_BEFORE_GET  the receiver stores the release before its Get
 *   BUG_DESC_BEFORE_STAGE   the descriptor is published before the chunk is
 *                           copied into the block
 *   BUG_ANY_RELEASE         reclaim takes a lent block as released when
 *                           its state word is any nonzero value, not its
 *                           tag
 *   BUG_ACQUIRE_UNLOCKED    stage's pick of a free block and its hold
 *                           (tag, lent) are two steps not under the
 *                           stager's mutex (two outlets flushing at once
 *                           can pick the same block)
 */

#ifndef NB
#define NB     2            /* staging blocks                               */
#endif
#ifndef RCAP
#define RCAP   1            /* ring capacity (frames)                       */
#endif
#ifndef MAXCH
#define MAXCH  3            /* chunks of a message: 1..MAXCH                */
#endif
#ifndef M0
#define M0     2            /* messages to ring 0: ids 1..M0                */
#endif
#ifndef M1
#define M1     1            /* messages to ring 1: ids M0+1..M0+M1          */
#endif
#define NMSG   (M0+M1)
#define FIRST(r) ((r) == 0 -> 1 : M0+1)   /* first message to ring r      */
#define NMSGR(r) ((r) == 0 -> M0 : M1)    /* messages to ring r           */

/* The bytes of chunk k of message m (the model's payload): never 0, so an
   unwritten block (0) and another message's or chunk's bytes differ. */
#define ID(m,k)  ((m)*4 + (k) + 1)

#ifdef NO_INVARIANTS
#define INV(x) skip
#else
#define INV(x) assert(x)
#endif

/* ---- the sender's windows (collectively allocated, zeroed) ----------- */
/* control window, after the per-token words and the presence word
   (presence.go stagingStateBase; stager.stateOffset(b)): */
byte state[NB];           /* state word of block b: receivers Store tags  */
/* staging window, StagingBytes (stager.blockOffset(b)): */
byte blk0[NB];            /* block b, first part of the chunk's bytes     */
byte blk1[NB];            /* block b, second part                         */

/* ---- the sender's stager (one per rank, shared by its outlets) ------- */
byte held[NB];            /* tag b was last lent under; 0: never. The
                             code's tags[b] while b is lent (giveBack
                             resets tags[b] to 0; the model keeps the
                             tag and tests FREE again instead)            */
byte lasttag;             /* the per-rank tag counter, nextTag (1, 2, ...) */
bit  dead;                /* the sender rank has failed                   */

/* A block is free when never lent, or its receiver stored its tag (the
   code: on the free list, or lent and reclaim finds stateWord(b) ==
   tags[b]). FREE_OK is the correct test, used by the end-state check. */
#define FREE_OK(b) (held[b] == 0 || state[b] == held[b])
#ifndef BUG_ANY_RELEASE
#define FREE(b)    FREE_OK(b)
#else
#define FREE(b)    (held[b] == 0 || state[b] != 0)   /* BUG: any release */
#endif

/* ---- the two target rings: descriptor frames ------------------------- */
/* {block, tag, offset, total, ghost message id}; the sender rank is
   always 0 and the chunk length is determined by offset and total (chunk
   units, see docs/protocol.md) */
chan ring[2] = [RCAP] of { byte, byte, byte, byte, byte };

/* ---- ghosts ----------------------------------------------------------- */
byte gown[NB];            /* 0 free, 1 held by the sender (not published),
                             2 published (Get outstanding), 3 Get done
                             (not released)                               */
byte nch[NMSG+1];         /* chunks of message m, as the sender split it  */
byte ndeliv[2];           /* messages delivered from ring r               */
byte gpart[2];            /* chunks receiver r holds of a partial message */
bit  ridle[2];            /* receiver r waits at its take                 */
byte nout;                /* outlets still running                        */

/* ====================================================================== */
/* Outlet r of the sender rank: the messages to ring r, each split into    */
/* chunks (Outlet.flushLarge), each chunk acquire -> copy -> publish       */
/* (stager.stage does the first two, flushLarge's TryPut the third).       */
/* ====================================================================== */

/* acquire (stager.stage, under the stager's mutex): pick a free block;
   tag = next tag; remember b is lent under tag. The code takes the top of
   its free list, and only when that is empty (or the outlet is at its
   quota) first calls reclaim, which loads the state word of each lent
   block (stateWord: LoadLocal, or a Load when the control window is under
   MPI's separate memory model) and gives back those holding their tag.
   The model's pick is any block free at this instant, which covers that
   (docs/protocol.md). If no block is free, stage returns ok == false with
   nothing written and flushLarge leaves the chunk queued in the outlet:
   the outlet waits until one is. */
#if NB == 1
#define PICK	if :: FREE(0) -> b = 0 fi
#elif NB == 2
#define PICK	if :: FREE(0) -> b = 0 :: FREE(1) -> b = 1 fi
#else
#define PICK	if :: FREE(0) -> b = 0 :: FREE(1) -> b = 1 :: FREE(2) -> b = 2 fi
#endif
/* hold: nextTag++, tags[b] = nextTag, b on the lent list. The code does
   this at the end of stage, after the copy, still under the mutex; these
   are stager-private, so their place inside the critical section is
   invisible to every other goroutine, and the model does them with the
   pick. */
#define HOLD	lasttag++; tag = lasttag; held[b] = tag; \
		INV(gown[b] == 0); gown[b] = 1	/* never reused before its release */

/* copy: stager.write, called by stage between the pick and the hold:
   copy the chunk into block b (own window memory), then Window.Sync (a
   Put to itself under MPI's separate memory model). The copy is not
   atomic: two steps. The code copies under the stager's mutex; here the
   copy follows the acquire outside it (more interleavings). */
#define STAGE0	d_step { INV(gown[b] == 1); blk0[b] = ID(m, k) }
#define STAGE1	d_step { INV(gown[b] == 1); blk1[b] = ID(m, k) }
/* publish the descriptor: flushLarge puts a frame holding the one
   descriptor entry into ring r (TryPut, whose Publish is the put). If the
   ring is full, TryPut returns false and the frame stays in the outlet
   (largeSend.desc) with its block and tag; the next flush retries it
   before staging anything else. So the put blocks here, with b held. */
#define PUBLISH	atomic { ring[r]!b, tag, k, n, m; gown[b] = 2 }

proctype Outlet(byte r; byte m0; byte nm)
{
	byte m, k, n, b, tag;

	{
	m = m0;
	do
	:: m == m0 + nm -> break
	:: else ->
		/* the application sends message m, too large for a slot
		   (Outlet.send queues a largeSend): total bytes, n chunks of
		   at most ChunkBytes (flushLarge cuts them in order) */
		atomic {
			if
			:: n = 1
#if MAXCH >= 2
			:: n = 2
#endif
#if MAXCH >= 3
			:: n = 3
#endif
			fi;
			nch[m] = n; k = 0	/* ghost nch */
		};
		do
		:: d_step { k == n; m++; n = 0; k = 0 }; break	/* next message */
		:: else ->
#ifndef BUG_ACQUIRE_UNLOCKED
			atomic { PICK; HOLD };	/* acquire, under the stager's mutex */
#else
			atomic { PICK };	/* BUG: scan without the mutex ... */
			d_step { HOLD };	/* ... then hold b: another outlet may have picked it too */
#endif
#ifndef BUG_DESC_BEFORE_STAGE
			STAGE0;
			STAGE1;
			PUBLISH;
#else
			PUBLISH;		/* BUG: descriptor before the chunk is staged */
			STAGE0;
			STAGE1;
#endif
			d_step { k++; b = 0; tag = 0 }
		od
	od
	} unless {
		/* the rank failed: the outlet does nothing more */
		d_step { dead; m = 0; k = 0; n = 0; b = 0; tag = 0 }
	};
	nout--
}

/* ====================================================================== */
/* Receiver r: the consumer of ring r, assembling the sender's chunks.     */
/* ====================================================================== */

/* Get the chunk from block b in the sender's staging window
   (assembler.chunk: stage.win.Get(sender, blockOffset(b), ...); a memcpy
   on shared memory: two steps), into the message buffer at offset off. The
   buffer is not kept: the ghost intact records whether every chunk read
   so far is the bytes of that chunk of the message expected next from
   this sender on this ring (what the delivery check would compare). */
#define GET0	d_step { INV(gown[b] == 2); v0 = blk0[b] }
#define GET1	d_step { INV(gown[b] == 2); v1 = blk1[b]; gown[b] = 3; \
		/* nothing read is garbage: the bytes of chunk off of message gm */ \
		INV(v0 == ID(gm, off) && v1 == ID(gm, off)); \
		intact = intact && v0 == ID(FIRST(r) + ndeliv[r], off) \
		                && v1 == ID(FIRST(r) + ndeliv[r], off); \
		v0 = 0; v1 = 0 }
/* release, after the Get returned: ctl.Store(sender, stateOffset(b),
   tag), into the state word in the sender's CONTROL window */
#define RELEASE	INV(gown[b] == 3 && held[b] == tag); gown[b] = 0; \
		state[b] = tag
/* after the release (chunk: p.got += length): when offset + length ==
   total, deliver the whole message (resolve puts it in the place of its
   last chunk's entry): it must be the message expected next from this
   sender on this ring, whole, every chunk intact; otherwise keep the
   partial message (assembler.parts[sender]) */
#define FINISH	if \
		:: off + 1 == tot -> \
			assert(ndeliv[r] < NMSGR(r)); \
			assert(tot == nch[FIRST(r) + ndeliv[r]] && have == off && intact); \
			ndeliv[r]++; have = 0; ptot = 0; gpart[r] = 0 \
		:: else -> have++; gpart[r] = have \
		fi; \
		b = 0; tag = 0; off = 0; tot = 0; gm = 0; ridle[r] = 1

proctype Receiver(byte r)
{
	byte b, tag, off, tot, gm, have, ptot, v0, v1;
	bit intact;

end:	/* takes a frame holding one descriptor entry (Mailbox.takeFrame,
	   or the poller's drainInbox / drainUnbound; ParseFrame) and
	   validates it (assembler.resolve -> chunk: parseDescriptor; rank,
	   block in range, length <= ChunkBytes; accept: offset equals what
	   it has of this sender's partial message, total unchanged). The
	   sender is honest, so the validation must pass (no spurious
	   rejection). */
	atomic {
		ring[r]?b, tag, off, tot, gm; ridle[r] = 0;
		assert(b < NB && tot >= 1 && tot <= MAXCH && off < tot);
		assert(off == have && (off == 0 || tot == ptot));
		ptot = tot;
		if :: off == 0 -> intact = 1 :: else fi
	};
#ifndef BUG_RELEASE_BEFORE_GET
	GET0;
	GET1;
	d_step { RELEASE; FINISH };
#else
	d_step { RELEASE };	/* BUG: release before the Get */
	GET0;
	GET1;
	d_step { FINISH };
#endif
	goto end
}

#ifdef SENDER_FAILS
/* The sender rank fails at any moment while its outlets run, or never
   (end label): both outlets stop before their next step. */
proctype Crash()
{
end:	d_step { nout > 0; dead = 1 }
}
#endif

init
{
	byte i;

	d_step { nout = 2; ridle[0] = 1; ridle[1] = 1 };
	atomic {
		run Outlet(0, 1, M0);
		run Outlet(1, M0 + 1, M1);
		run Receiver(0);
		run Receiver(1);
#ifdef SENDER_FAILS
		run Crash()
#endif
	};
	/* Both outlets finished (or stopped with their rank) and the
	   receivers took every frame and are waiting for more. A process
	   blocked for good before that (an outlet waiting for a block that is
	   never released, a receiver stuck) leaves init waiting here: pan
	   reports an invalid end state. */
	(nout == 0 && ridle[0] && ridle[1] && empty(ring[0]) && empty(ring[1]));
	d_step {
		i = 0;
		do
		:: i < NB ->
			/* every published chunk was read and released */
			INV(gown[i] != 2 && gown[i] != 3);
			INV(dead || gown[i] == 0);
			/* with no failure: every block is free again (no leak):
			   the stager would find it free */
			assert(dead || FREE_OK(i));
			i++
		:: else -> break
		od;
		/* with no failure: every message was delivered, exactly once,
		   and no partial message is left */
		assert(dead || (ndeliv[0] == M0 && ndeliv[1] == M1 &&
		                gpart[0] == 0 && gpart[1] == 0))
	}
}
