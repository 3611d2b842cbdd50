// pan-cc: -DSAFETY -DCOLLAPSE
// pan-run: -m100000 -w25
// bugs: BUG_SAME_WAVE BUG_DONE_BEFORE_HANDLING BUG_SENT_AFTER_POST BUG_LATE_POST
//
// Distributed termination detection: Cluster.Quiesce (cluster/quiesce.go),
// counting waves over every rank's sent/done message counters (Rank.sent,
// Rank.done in mailbox/rank.go), Mattern's four-counter method: rank 0
// declares the job quiescent at wave i when the done sum of wave i-1 equals
// the sent sum of wave i.
//
// Processes:
//   Rank(r)   rank r's goroutine in RunOn (cluster/cluster.go): the program
//             fn, which sends up to INIT initial messages and returns, then
//             Cluster.Quiesce.
//   Worker(r) a goroutine handling rank r's messages: Mailbox.run (user and
//             system queues, ring frames) or the poller's drainInbox /
//             ringReady (inbox messages that end there: futures, dead
//             letters). A taken message is handled: the handler may send up
//             to FANOUT new messages to any rank, then the message is
//             counted done (countDone after InvokeUserMessage returned). A
//             future, a dead letter or a decode failure is a handler that
//             sends nothing. WORKERS of them per rank (several mailboxes of
//             one rank run at once).
//
// Each statement (or labelled atomic block) below is one operation of the
// code, in the code's order: a counter Add/Load, a window Store/Load, a
// barrier arrival, a barrier wait. Atomic blocks only add local computation
// and ghost bookkeeping to one such operation. With -DCOARSE the wave
// protocol's steps are grouped into three atomic blocks per wave (see the
// GROUP macro): a reduction (Lipton) that is sound because the window words
// are touched by one rank at a time between barriers; it is for larger
// bounds (3 ranks), not the default.
//
// Seeded bugs (each must make verification fail):
//   BUG_SAME_WAVE             rank 0 compares the sent and done sums of the
//                             same wave (sumDone == sumSent) instead of the
//                             done sum of wave i-1 (prevDone).
//   BUG_DONE_BEFORE_HANDLING  a message is counted done when taken, before
//                             its handler ran, so what the handler sends is
//                             not counted sent yet.
//   BUG_SENT_AFTER_POST       a send makes the message takeable before it is
//                             counted sent (Outlet.Send / PostUserMessage
//                             counting after the push), so the receiver may
//                             count it done first.
//
//   BUG_LATE_POST             Mailbox.run counts a user message done and
//                             only then calls countProcessed, which posts
//                             the actor's Stop once its claims are reached
//                             (and run's recover counts done before
//                             EscalateFailure posts SuspendMailbox and a
//                             Failure): premature quiescence. This was the
//                             code's order until this model found it; the
//                             code now posts first, as the default model.

#ifndef N
#define N 2            /* ranks: 2 or 3 */
#endif
#ifndef MAXMSG
#define MAXMSG 3       /* messages in the whole run, initial ones included */
#endif
#ifndef FANOUT
#define FANOUT 2       /* messages one handler may send */
#endif
#ifndef INIT
#define INIT 1         /* messages one rank's program may send */
#endif
#ifndef WORKERS
#define WORKERS 2      /* handler goroutines per rank */
#endif

#if N == 2
#define SUM(a) (a[0] + a[1])
#else
#define SUM(a) (a[0] + a[1] + a[2])
#endif

#ifdef COARSE
#define GROUP atomic {
#define END }
#else
#define GROUP
#define END
#endif

/* mailbox/rank.go: Rank.sent and Rank.done (atomic.Uint64), per rank. */
byte sent[N];
byte done[N];
/* Messages counted sent and takeable by rank r: in an outlet batch, a
 * ring, the inbox or a mailbox's in-memory queue. None of the transport's
 * steps between the push and the take moves a counter or is seen by
 * Quiesce, so they are one "in flight" state. */
byte pend[N];

/* The waves window (cluster/quiesce.go): each rank's segment holds
 * waveSent and waveDone; waveVerdict is used in rank 0's segment only.
 * rma.Window Store/Load are atomic and complete at the target on return. */
byte wSent[N];
byte wDone[N];
byte wVerdict;

/* rma.World.Barrier (MPI_Barrier): returns once every rank has entered
 * it. A sense-reversing barrier: arrive, then wait for the last arrival. */
byte barCount;
bit barSense;

/* Ghost state, not in the code. */
byte budget = MAXMSG; /* messages that may still be created */
byte live;            /* messages created whose handling has not ended */
byte progs = N;       /* programs (RunOn's fn) that have not returned */
bit waveDirty;        /* in the current wave, some rank read its counters
                       * while the job was not quiescent */

/* Quiescent: no message in flight or being handled and no program running.
 * Only handlers and programs send, so once true it stays true. */
#define QUIESCENT (live == 0 && progs == 0)

inline arrive(sense) {
	atomic {
		sense = 1 - sense;
		barCount++;
		if
		:: barCount == N -> barCount = 0; barSense = sense
		:: else
		fi
	}
}

inline await(sense) {
	barSense == sense
}

inline pickDest(dest) {
	if
	:: dest = 0
	:: dest = 1
#if N > 2
	:: dest = 2
#endif
	fi
}

/* One send from rank me. Local target: Mailbox.PostUserMessage (countSent:
 * r.sent.Add(1), then post: q.push). Remote target: Rank.Send ->
 * Outlet.Send (r.sent.Add(1), then the envelope joins a batch that
 * flushLocked puts into the target's ring or inbox with TryPut). cond
 * guards the first step, so that a sender never stops half-way. */
inline send(me, dest, cond) {
	atomic {
		cond && budget > 0 ->
		budget--; live++;               /* ghost: the message exists */
		pickDest(dest);
#ifndef BUG_SENT_AFTER_POST
		sent[me]++                      /* countSent / Outlet.Send: r.sent.Add(1) */
#else
		pend[dest]++                    /* BUG: takeable before counted sent */
#endif
	};
s_post:
	atomic {
#ifndef BUG_SENT_AFTER_POST
		pend[dest]++;                   /* post: q.push / Outlet: TryPut into the ring */
#else
		sent[me]++;                     /* BUG: counted sent after the push */
#endif
		dest = 0; n++
	}
}

/* r.done.Add(1) (Mailbox.countDone, drainInbox, ringReady, deadFrame).
 * D(t) <= S(t) must hold whenever D grows. */
inline countDone(me) {
	atomic {
		done[me]++;
		assert(SUM(done) <= SUM(sent))
	}
}

/* A system message a mailbox posts to its own rank (its own Stop, or a
 * supervision message): PostSystemMessage (countSent), then post. */
inline postSelf(me) {
	atomic { budget > 0 -> budget--; live++; sent[me]++ };
	pend[me]++
}

proctype Worker(byte me) {
	byte dest, n;
	bit late;
end:
w_take:	/* Mailbox.nextUser (q.pop / takeFrame) or drainInbox (TryTakeAppend) */
	do
	::	atomic { pend[me] > 0 -> pend[me]-- };
#ifdef BUG_DONE_BEFORE_HANDLING
		countDone(me);                  /* BUG: done before the handler ran */
#endif
w_handle: /* InvokeUserMessage / InvokeSystemMessage: the handler sends */
		do
		:: send(me, dest, n < FANOUT)
		:: break
		od;
#ifndef BUG_LATE_POST
		/* Mailbox.run: m.countProcessed() may reach the claims and post
		 * the actor's Stop (or run's recover: EscalateFailure posts
		 * SuspendMailbox and a Failure) before m.countDone() */
		if
		:: postSelf(me)
		:: true
		fi;
#endif
w_done:	/* Mailbox.run: m.countDone() after the handler returned */
		atomic {
#ifndef BUG_DONE_BEFORE_HANDLING
			countDone(me);
#endif
			live--; n = 0               /* ghost: the handling ended */
#ifdef BUG_LATE_POST
			/* ghost: whether countProcessed will post a Stop */
			; if :: budget > 0 -> budget--; live++; late = 1 :: true fi
#endif
		}
#ifdef BUG_LATE_POST
		;
w_late:	/* Mailbox.run, after m.countDone(): m.countProcessed() reaches the
		 * claims and calls m.proc.Stop(m.self) -> PostSystemMessage (or,
		 * in run's recover, EscalateFailure posts SuspendMailbox to self
		 * and a Failure to the parent) */
		if
		:: late ->
			sent[me]++;                 /* countSent */
			atomic { pend[me]++; late = 0 }  /* post: q.push */
		:: else
		fi
#endif
	od
}

proctype Rank(byte me) {
	byte dest, n;
	byte ls, ld;                        /* what Counts returned */
	byte wave = 1;                      /* 1, 2, 3, 2, 3, ...: see below */
	byte sumSent, sumDone, prevDone, k, v;
	bit sense, prevClean;

p_send:	/* RunOn: fn(ctx, c), the program, sends its initial messages */
	do
	:: send(me, dest, n < INIT)
	:: break
	od;
p_return:
	atomic { progs--; n = 0 }           /* fn returned; RunOn calls Quiesce */

	/* Cluster.Quiesce: for wave := 1; ; wave++ (q_sent labels the loop,
	 * whose first step is the sent load) */
q_sent:
	do
	::	/* sent, done := c.sys.Counts(): r.sent.Load() ... */
		atomic { ls = sent[me]; waveDirty = waveDirty | !QUIESCENT };
q_done:	GROUP                           /* ... r.done.Load() */
		ld = done[me];
q_wsent: wSent[me] = ls; ls = 0;        /* c.waves.Store(self, waveSent, sent) */
q_wdone: wDone[me] = ld; ld = 0;        /* c.waves.Store(self, waveDone, done) */
q_bar1:	arrive(sense)                   /* c.w.Barrier */
		END;
q_wait1: GROUP                          /* c.w.Barrier returns */
		await(sense);
		if
		:: me == 0 ->
			k = 0;
			do
			:: k < N ->
q_lsent:		sumSent = sumSent + wSent[k];   /* s := c.waves.Load(k, waveSent) */
q_ldone:		sumDone = sumDone + wDone[k];   /* d := c.waves.Load(k, waveDone) */
				k++
			:: else -> break
			od;
q_verdict:	atomic {
				v = wave << 1;          /* verdict := wave << 1 */
#ifndef BUG_SAME_WAVE
				if                      /* wave > 1 && prevDone == sumSent */
				:: wave > 1 && prevDone == sumSent -> v = v | 1
				:: else
				fi;
#else
				if                      /* BUG: done and sent of the same wave */
				:: wave > 1 && sumDone == sumSent -> v = v | 1
				:: else
				fi;
#endif
				prevDone = sumDone;     /* prevDone = sumDone */
				/* no premature verdict */
				assert(!(v & 1) || (QUIESCENT && SUM(sent) == SUM(done)));
				/* prompt: two consecutive waves whose counters were all
				 * read once the job was quiescent find it */
				assert((v & 1) || !(prevClean && !waveDirty));
				prevClean = !waveDirty; waveDirty = 0;
				sumSent = 0; sumDone = 0; k = 0
			};
q_wverdict:	wVerdict = v; v = 0         /* c.waves.Store(0, waveVerdict, verdict) */
		:: else
		fi;
q_bar2:	arrive(sense)                   /* c.w.Barrier */
		END;
q_wait2: GROUP                          /* c.w.Barrier returns */
		await(sense);
q_lverdict: v = wVerdict;               /* v := c.waves.Load(0, waveVerdict) */
		/* v>>1 != wave is rma.ErrCorrupt in the code: never happens */
		assert(v >> 1 == wave);
		if
		:: v & 1 ->                     /* v&1 == 1: return nil */
q_return:	assert(QUIESCENT && SUM(sent) == SUM(done));
			break
		:: else ->                      /* idle.Pause (a delay: no step); wave++ */
			/* The wave number only has to be > 1 after the first wave
			 * (rank 0's test) and differ between consecutive waves
			 * (the verdict check): 1, 2, 3, 2, 3, ... keeps the state
			 * space finite. */
			if
			:: wave == 3 -> wave = 2
			:: else -> wave++
			fi;
			v = 0
		fi
		END
	od
}

init {
	byte r, w;
	atomic {
		r = 0;
		do
		:: r < N ->
			run Rank(r);
			w = 0;
			do
			:: w < WORKERS -> run Worker(r); w++
			:: else -> break
			od;
			r++
		:: else -> break
		od
	}
}
