// pan-cc: -DSAFETY -DCOLLAPSE
// pan-run: -m100000 -w26
// bugs: BUG_DESC_BEFORE_STAGE BUG_RELEASE_BEFORE_GET
//
// The rendezvous model (rendezvous.pml) with the sender rank failing: at
// any moment while its outlets run, or never, it stops for good between
// two of its steps (both outlets at once). Receivers must never deliver a
// partial or garbage message and never read garbage; a partial message
// that never completes is allowed at the end, and so are blocks the dead
// sender still held. A stuck outlet can always be ended by the failure,
// so deadlock freedom and the no-leak end check are rendezvous.pml's job.

#define SENDER_FAILS

#include "rendezvous.pml"
