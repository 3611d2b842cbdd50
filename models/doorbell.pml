// pan-cc: -DSAFETY
// pan-run: -m200000
// bugs: BUG_CLEAR_READY_AFTER_TAKE BUG_NO_RECHECK BUG_ARM_NOT_ATOMIC BUG_DISARM_AFTER_MARK BUG_CAS_BEFORE_MARK

/*
 * The mailbox doorbell and dispatcher wake-up protocol of package mailbox
 * (docs/protocol.md: "Frames and aggregation", "Doorbell: no lost
 * wake-ups", "Who runs a mailbox"; the section for this model is
 * docs/protocol.md, "Model checking").
 *
 * One mailbox, bound to ring token TOK on the owner rank. Two remote
 * senders commit frames to its ring and ring the owner's doorbell
 * (outlet.go flushLocked, doorbell.go ring). The owner's poller goroutines
 * (leader/follower, poller.go poll, promote) answer tokens (doorbell.go
 * answer), mark the ring ready and run the mailbox themselves when it was
 * idle (poller.go ringReady). A same-rank sender posts to the in-memory
 * queue and schedules the mailbox on a worker goroutine (mailbox.go post,
 * schedule; poller.go dispatch, worker). The run is mailbox.go process,
 * run, nextUser, takeFrame, hasWork.
 *
 * Every step that touches state another goroutine can see is one Promela
 * step (an atomic block holds at most one such access, plus bookkeeping
 * only the running goroutine sees and specification ghosts), in the order
 * of the code. The RemoteChannel is a bounded FIFO whose put and take are
 * atomic (rma/ring.go is checked separately).
 *
 * No lost wake-up is checked as an end state: init waits until every
 * frame and message was handled (and the senders' ranks are done), and
 * only then closes stop (Close follows termination detection); every
 * goroutine of the model returns on stop, and there are no end labels. A
 * frame that nobody will take leaves init, the poller (and a sender
 * waiting for room) blocked: pan reports an invalid end state. Safety
 * properties are assertions.
 *
 * Optional, off by default (see docs/protocol.md, "Model checking"):
 *   -DACTOR_STOPS  a same-rank Stop stops the actor meanwhile: finish,
 *                  drainDead, release, and ringReady's drain of an unbound
 *                  ring. This configuration FAILS on the code as it is
 *                  (a frame is stranded: finish/release lose a wake-up).
 *   -DFIX_STOP     with ACTOR_STOPS: a candidate fix, finish drains the
 *                  ring once more after release. Verifies.
 */

/* two remote senders (one outlet each, on other ranks) */
#ifndef NF0
#define NF0 2           /* frames sender 0 commits: ids 1..NF0 */
#endif
#ifndef NF1
#define NF1 1           /* frames sender 1 commits: ids NF0+1..NR */
#endif
#ifndef NL
#define NL 1            /* same-rank senders, one user message each */
#endif
#ifndef CAP
#define CAP 2           /* ring capacity (slots); WithCapacity allows 1 */
#endif

#define NR      (NF0+NF1)       /* remote frames: ids 1..NR */
#define TOTAL   (NR+NL)         /* local messages: ids NR+1..TOTAL */
#define TOK     1               /* the mailbox's doorbell token (ring 0) */
#define IDLE    0
#define RUNNING 1

/* ---- shared state -------------------------------------------------- */

chan ring = [CAP] of { byte };  /* the mailbox ring (rma.Channel in the owner's arena) */
chan bell = [1] of { byte };    /* the doorbell: one slot per token, one token here */
bit  armed;                     /* control window: armed[TOK] */

bit   ready;                    /* Mailbox.ready */
bit   status;                   /* Mailbox.status: IDLE or RUNNING */
bit   holding;                  /* Mailbox.holding */
short userCount;                /* Mailbox.userCount (dips below 0 for a moment) */
/* The code's queue hands the running mailbox everything queued at once and
   userCount drops by that batch (popUser); hasWork also counts what is left
   of the batch in hand (held, read before status goes idle). Here a pop
   takes one message, so a batch is one message and held is always 0 when
   hasWork runs: the same steps as the code with NL same-rank messages taken
   one swap each. */
chan  userq = [NL+1] of { byte };   /* Mailbox.user: the in-memory queue */

/* owned by the goroutine running the mailbox */
byte pending;                   /* the frame in hand (pending[next]); 0: none */
bit  localFirst;                /* Mailbox.localFirst */

#ifdef ACTOR_STOPS
bit  sysq;                      /* Mailbox.system holds the Stop */
short sysCount;                 /* Mailbox.sysCount (dips below 0 for a moment) */
bit  finished;                  /* Mailbox.finished */
bit  bound = 1;                 /* ringSlot.mb == m (guarded by s.mu) */
bit  released;                  /* Mailbox.released (owner only) */
bit  stopDone;                  /* ghost: the Stop was handled */
#endif

/* rank */
bit  stop;                      /* Rank.stop closed */
byte followers;                 /* pollers parked in <-r.follow */
chan follow = [8] of { bit };   /* r.follow (hand-off to a parked follower) */
byte idleWorkers;               /* workers parked in <-r.work */
chan work = [8] of { bit };     /* r.work */

/* ghosts (specification only) */
bit  done[TOTAL+1];             /* message id delivered (or dead-lettered) */
byte ndone;
byte lastFrom[2];               /* last frame id delivered from each sender */
byte inRun;                     /* goroutines inside run()/drainDead() */
byte pollers;                   /* goroutines in the poll loop */
byte sending = 2;               /* remote senders not finished (ring calls included) */

#ifdef ACTOR_STOPS
#define FINISHED finished
#define RINGOPEN (!released)
#else
#define FINISHED 0
#define RINGOPEN 1
#endif

/* ---- the mailbox run (mailbox.go) ----------------------------------- */

/* The first step of a run (process loop iteration): no other goroutine
 * may be running the mailbox. */
inline enter() {
  if
  :: fresh -> fresh = 0; inRun++; assert(inRun == 1 && status == RUNNING)
  :: else
  fi
}

/* A message ends exactly once: run's InvokeUserMessage + countDone, or
 * dead() once the actor finished. Frames of one sender that are delivered
 * are delivered in the order it committed them. */
inline consume(id) {
  assert(inRun == 1 && status == RUNNING);      /* no double run */
  assert(!done[id]);                            /* taken exactly once */
  done[id] = 1;
  ndone++;
  if
  :: !FINISHED && id <= NR ->
     assert(id > lastFrom[id > NF0]);
     lastFrom[id > NF0] = id
  :: else
  fi
}

/* m.user.pop: consumer side of the in-memory queue */
inline popUser() {
  if
  :: nempty(userq) -> userq?v; took = 1
  :: empty(userq) -> took = 0
  fi
}

/* takeFrame: m.slot.take (ring take under s.mu) into pending, then
 * m.holding.Store(len(pending) > 0) */
inline takeFrame() {
  atomic {                               /* takeFrame: m.slot.take */
    if
    :: nempty(ring) -> ring?pending; took = 1
    :: empty(ring) -> took = 0
    fi
  }
  if
  :: took -> holding = 1                 /* takeFrame: m.holding.Store(true) */
  :: else
  fi
}

/* nextUser, and the caller's handling of what it returns: ok = 1 when a
 * message was consumed ("return v, true"), ok = 0 when there was none
 * ("return nil, false"). */
inline nextUser() {
  ok = 0;
  do
  :: atomic {                            /* nextUser: m.next < len(m.pending) */
       pending != 0 -> enter();
       holding = 0;                      /* nextUser: m.holding.Store(false) */
       consume(pending); pending = 0;    /* decode; run: InvokeUserMessage (or dead) */
       ok = 1
     };
     break
  :: atomic {
       pending == 0 -> enter();
       lf = localFirst;
       if
       :: lf -> popUser()                /* nextUser: localFirst: m.user.pop() */
       :: else -> took = 0; rd = ready   /* nextUser: m.ready.Load() */
       fi
     }
     if
     :: lf && took ->
        atomic {                         /* nextUser: popUser: m.userCount.Add(-swapped) */
          userCount--; localFirst = 0;
          consume(v); v = 0; took = 0; lf = 0; ok = 1
        };
        break
     :: else ->
        if
        :: lf -> rd = ready              /* nextUser: m.ready.Load() */
        :: else
        fi;
        if
        :: rd && RINGOPEN ->             /* nextUser: ... && !m.released */
#ifndef BUG_CLEAR_READY_AFTER_TAKE
           ready = 0;                    /* nextUser: m.ready.Store(false), before the take */
           takeFrame()
#else
           takeFrame();
           ready = 0                     /* BUG: the mark is cleared after the take */
#endif
        :: else -> took = 0
        fi;
        rd = 0;
        if
        :: took ->
           atomic {                      /* nextUser: m.ready.Store(true) after a frame */
             ready = 1; localFirst = 1;  /* ... and continue: hand out the frame */
             took = 0; lf = 0
           }
        :: else ->
           if
           :: !lf -> atomic { popUser() }  /* nextUser: !localFirst: m.user.pop() */
           :: else
           fi;
           if
           :: took ->
              atomic {                   /* nextUser: popUser: m.userCount.Add(-swapped) */
                userCount--;
                consume(v); v = 0; took = 0; lf = 0; ok = 1
              }
           :: else -> lf = 0             /* nextUser: return nil, false */
           fi;
           break
        fi
     fi
  od
}

/* drainDead: every message left, as a dead letter (the loop's exit test,
 * sysCount == 0 && !holding, always holds here: one Stop only) */
inline drainDead() {
  do
  :: nextUser();
     if
     :: ok -> ok = 0
     :: else -> break
     fi
  od
}

#ifdef ACTOR_STOPS
/* finish: the actor stopped (run, after the Stop) */
inline finish() {
  finished = 1;                          /* finish: m.finished.Store(true) */
  ready = 1;                             /* finish: m.ready.Store(true) */
  drainDead();                           /* finish: m.drainDead() */
  atomic { bound = 0; released = 1 }     /* finish: release: s.mb = nil (s.mu); m.released = true */
#ifdef FIX_STOP
  do                                     /* FIX: drain what came meanwhile, as ringReady does */
  :: atomic { nempty(ring) -> ring?v; consume(v); v = 0 }
  :: atomic { empty(ring) -> break }
  od
#endif
}
#endif

/* run: system messages first, then user messages until nextUser has none */
inline runMailbox() {
  do
  ::
#ifdef ACTOR_STOPS
     atomic { enter(); took = sysq; sysq = 0 }   /* run: m.system.pop() */
     if
     :: took ->
        atomic { took = 0; sysCount-- }  /* run: m.sysCount.Add(-1) */
        stopDone = 1;                    /* run: Stop handled, countDone; stoppedNow() */
        finish();                        /* run: m.finish(); return */
        break
     :: else
     fi;
#endif
     nextUser();
     if
     :: ok -> ok = 0
     :: else -> break                    /* run: return */
     fi
  od
}

/* process: the caller won status idle -> running */
inline process() {
  do
  :: fresh = 1;
#ifdef ACTOR_STOPS
     if
     :: finished -> drainDead()          /* process: m.finished.Load(): m.drainDead() */
     :: else -> runMailbox()             /* process: m.run() */
     fi;
#else
     runMailbox();                       /* process: m.run() */
#endif
     atomic { inRun--; status = IDLE }   /* process: m.status.Store(idle) */
#ifdef BUG_NO_RECHECK
     break                               /* BUG: idle without re-checking for work */
#endif
     /* hasWork (suspended and claimsDone are constant false here) */
#ifdef ACTOR_STOPS
     hw = (sysCount > 0);                /* hasWork: m.sysCount.Load() */
     if
     :: !hw && finished ->               /* hasWork: m.finished.Load() */
        hw = (userCount > 0);            /* hasWork: m.userCount.Load() */
        if
        :: !hw -> break
        :: else -> hw = 0; goto recheck
        fi
     :: else
     fi;
#endif
     if
     :: !hw -> hw = (userCount > 0)      /* hasWork: m.userCount.Load() */
     :: else
     fi;
     if
     :: !hw -> hw = ready                /* hasWork: m.ready.Load() */
     :: else
     fi;
     if
     :: !hw -> hw = holding              /* hasWork: m.holding.Load() */
     :: else
     fi;
     if
     :: !hw -> break                     /* process: return (flushIdle: not modelled) */
     :: else -> hw = 0
     fi;
recheck:
     atomic {                            /* process: m.status.CompareAndSwap(idle, running) */
       if
       :: status == IDLE -> status = RUNNING
       :: else -> break                  /* process: someone else runs it: return */
       fi
     }
  od
}

/* ---- the owner's goroutines (poller.go) ----------------------------- */

/* dispatch: hand the mailbox to a parked worker, or start one */
inline dispatch() {
  atomic {
    if
    :: idleWorkers > 0 -> idleWorkers--; work!1
    :: else -> run Worker()
    fi
  }
}

proctype Worker() {
  byte v; bit fresh, ok, lf, took, rd, hw;
  do
  :: process();                          /* worker: m.process() */
     idleWorkers++;                      /* worker: select { <-r.work; <-r.stop } */
     if
     :: work?_ -> skip
     :: atomic { empty(work) && stop -> idleWorkers-- }; break
     fi
  od
}

/* poll, with answer and ringReady inlined. A goroutine starts as the poller
 * (pollers is raised by whoever hands polling over to it). */
proctype Poller() {
  byte tok, v; bit fresh, ok, lf, took, rd, hw, mine;
  do
  :: atomic {                            /* answer: bell.TryTakeAppend */
       bell?tok -> assert(tok == TOK && pollers == 1); tok = 0
     }
#ifndef BUG_DISARM_AFTER_MARK
     armed = 0;                          /* answer: ctl.Store(armed[tok], 0) */
#endif
#ifdef ACTOR_STOPS
     if
     :: atomic { !bound ->               /* ringReady: s.mb == nil (s.mu held) */
          do                             /* ringReady: s.takeLocked until empty: dead letters */
          :: nempty(ring) -> ring?v; assert(!done[v]); done[v] = 1; ndone++; v = 0
          :: empty(ring) -> break
          od
        };
        goto answered
     :: bound                            /* ringReady: s.mb != nil */
     fi;
#endif
#ifndef BUG_CAS_BEFORE_MARK
     ready = 1;                          /* ringReady: mb.ready.Store(true) */
#endif
#ifdef BUG_DISARM_AFTER_MARK
     armed = 0;                          /* BUG: disarmed after the mark */
#endif
     atomic {                            /* ringReady: mb.status.CompareAndSwap(idle, running) */
       if
       :: status == IDLE -> status = RUNNING; mine = 1
       :: else -> mine = 0
       fi
     }
#ifdef BUG_CAS_BEFORE_MARK
     ready = 1;                          /* BUG: marked after the CAS */
#endif
     if
     :: mine ->
        atomic {                         /* promote: r.follow <- {}, or go r.poll() */
          mine = 0;
          pollers--;
          if
          :: followers > 0 -> followers--; follow!1
          :: else -> pollers++; run Poller()
          fi
        }
        process();                       /* poll: mb.process() */
        followers++;                     /* poll: select { <-r.follow; <-r.stop } */
        if
        :: atomic { follow?_ -> pollers++; assert(pollers == 1) }
        :: atomic { empty(follow) && stop -> followers-- }; break
        fi
     :: else                             /* ringReady: it runs and will see the mark */
     fi;
answered:
     skip
  :: empty(bell) && stop -> break        /* poll: idle.PauseUntil(r.stop) is false */
  od
}

/* ---- senders ---------------------------------------------------------- */

/* A remote sender's outlet: frames first..last, in order. flushLocked puts
 * the queued frames while the ring has room, then rings once if it put
 * any; a frame that finds the ring full stays queued and the flusher
 * retries it (modelled as a put that waits for room: a failed retry
 * changes nothing). */
proctype Sender(byte first, last) {
  byte f = first; bit prev;
  do
  :: f <= last ->
     atomic { nfull(ring) -> ring!f; f++ }          /* flushLocked: o.ch.TryPut ok */
     do
     :: atomic { f <= last && nfull(ring) -> ring!f; f++ }  /* flushLocked: next queued frame */
     :: break
     od;
#ifndef BUG_ARM_NOT_ATOMIC
     atomic { prev = armed; armed = 1 }             /* ring: ctl.CompareAndSwap(armed, 0, 1) */
#else
     prev = armed;                                  /* BUG: load ... */
     if :: prev == 0 -> armed = 1 :: else fi        /* ... then store: not one CAS */
#endif
     if
     :: prev == 0 ->
        atomic {                                    /* ring: bell.TryPut(tok) */
          assert(nfull(bell));                      /* else ErrCorrupt: token armed twice */
          bell!TOK; prev = 0
        }
     :: else                                        /* ring: already armed */
     fi
  :: else -> break
  od;
  sending--                              /* its rank's Close: outlets drained, then a barrier */
}

/* A same-rank sender: PostUserMessage -> post -> schedule -> dispatch. */
proctype Local(byte id) {
  bit mine;
#ifdef ACTOR_STOPS
  if
  :: atomic { finished ->                /* post: m.finished.Load(): m.dead(msg) */
       assert(!done[id]); done[id] = 1; ndone++ }
     goto out
  :: !finished
  fi;
#endif
  userq!id;                              /* post: q.push */
  userCount++;                           /* post: count.Add(1) */
  atomic {                               /* schedule: m.status.CompareAndSwap(idle, running) */
    if
    :: status == IDLE -> status = RUNNING; mine = 1
    :: else -> mine = 0
    fi
  }
  if
  :: mine -> dispatch()                  /* schedule: m.rank.dispatch(m) */
  :: else
  fi;
out:
  skip
}

#ifdef ACTOR_STOPS
/* A same-rank Stop (PostSystemMessage: post to the system queue, schedule) */
proctype Stopper() {
  bit mine;
  sysq = 1;                              /* post: q.push */
  sysCount++;                            /* post: count.Add(1) */
  atomic {                               /* schedule: m.status.CompareAndSwap(idle, running) */
    if
    :: status == IDLE -> status = RUNNING; mine = 1
    :: else -> mine = 0
    fi
  }
  if
  :: mine -> dispatch()
  :: else
  fi
}
#endif

init {
  byte i;
  atomic {
    pollers = 1; run Poller();           /* NewRank: go r.poll() */
    run Sender(1, NF0);
    run Sender(NF0 + 1, NR);
    i = NR + 1;
    do
    :: i <= TOTAL -> run Local(i); i++
    :: else -> break
    od;
#ifdef ACTOR_STOPS
    run Stopper()
#endif
  }
  /* Close: after termination detection (every message handled) and after
   * the senders' ranks drained their outlets (the Close barrier) */
#ifdef ACTOR_STOPS
  ndone == TOTAL && sending == 0 && stopDone;
#else
  ndone == TOTAL && sending == 0;
#endif
  stop = 1;
  _nr_pr == 1;                           /* every goroutine returned */
  assert(empty(ring) && empty(bell) && empty(userq) && armed == 0);
  assert(status == IDLE && !holding && pending == 0 && userCount == 0);
#ifndef ACTOR_STOPS
  assert(!ready)                         /* no mark left without a run to see it */
#endif
}
