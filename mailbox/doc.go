// Package mailbox is the transport under rmactor's actors: mailboxes whose
// user queue is a RemoteChannel in the owner rank's arena window, the frames
// that carry batches of envelopes through those rings, the doorbell that
// tells a rank's dispatcher which mailboxes have something to take, the
// outlets that batch and flush messages to other ranks' mailboxes, and the
// claims that end an actor after an exact number of messages.
//
// Applications do not import it: package actor re-exports what they use
// (options such as actor.WithSlotBytes, actor.Stats, actor.ErrMailboxFull,
// actor.RelayMode). What it exports beyond that is for package actor.
//
// The package knows nothing of message types: an envelope is opaque bytes
// here. The actor package encodes and decodes envelopes and implements
// [Handler]. Every protocol in this package is written against rma.Window and
// rma.Channel only, so it runs unchanged on every backend.
//
// docs/protocol.md describes the doorbell and claims protocols and argues
// that no wake-up is lost.
package mailbox
