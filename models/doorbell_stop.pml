// pan-cc: -DSAFETY -DCOLLAPSE
// pan-run: -m400000 -w26
// bugs: BUG_STOP_NO_DRAIN
//
// The doorbell model (doorbell.pml) with the actor stopping while frames
// arrive: finish, drainDead and release, and the poller's drain of an
// unbound ring. The code drains the ring once more when it releases it
// (Rank.release, under the slot's mutex); BUG_STOP_NO_DRAIN leaves that
// out, as the code did until this model found the frame it strands.
// Bounds: two frames from one sender, one from the other, no same-rank
// message (a same-rank message as well takes 51 M states and 3 GB).

#define ACTOR_STOPS
#ifndef BUG_STOP_NO_DRAIN
#define FIX_STOP
#endif
#define NF0 2
#define NF1 1
#define NL 0

#include "doorbell.pml"
