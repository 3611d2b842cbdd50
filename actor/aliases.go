package actor

import (
	"time"

	pa "github.com/asynkron/protoactor-go/actor"
)

// The protoactor-go API that rmactor applications use, re-exported so that
// they import only this package: actors, contexts, props, PIDs, futures,
// lifecycle messages, supervision and middleware. These are aliases: values
// move freely between the two packages. Protoactor's dispatchers and
// context decorators are left out (actors with rmactor mailboxes run on
// their rank's workers); System.ActorSystem reaches the rest.
type (
	Actor           = pa.Actor
	ReceiveFunc     = pa.ReceiveFunc
	Producer        = pa.Producer
	Context         = pa.Context
	ReceiverContext = pa.ReceiverContext
	SenderContext   = pa.SenderContext
	SpawnerContext  = pa.SpawnerContext
	RootContext     = pa.RootContext
	ActorSystem     = pa.ActorSystem
	Props           = pa.Props
	PropsOption     = pa.PropsOption
	PID             = pa.PID
	Future          = pa.Future
	MessageEnvelope = pa.MessageEnvelope
	Behavior        = pa.Behavior

	Started          = pa.Started
	Stopping         = pa.Stopping
	Stopped          = pa.Stopped
	Restarting       = pa.Restarting
	Terminated       = pa.Terminated
	TerminatedReason = pa.TerminatedReason
	Watch            = pa.Watch
	Unwatch          = pa.Unwatch
	Stop             = pa.Stop
	PoisonPill       = pa.PoisonPill
	ReceiveTimeout   = pa.ReceiveTimeout
	DeadLetterEvent  = pa.DeadLetterEvent

	SupervisorStrategy = pa.SupervisorStrategy
	Directive          = pa.Directive
	DeciderFunc        = pa.DeciderFunc
	ReceiverMiddleware = pa.ReceiverMiddleware
	SenderMiddleware   = pa.SenderMiddleware
	ReceiverFunc       = pa.ReceiverFunc
	SenderFunc         = pa.SenderFunc
)

// Supervision directives.
const (
	ResumeDirective   = pa.ResumeDirective
	RestartDirective  = pa.RestartDirective
	StopDirective     = pa.StopDirective
	EscalateDirective = pa.EscalateDirective
)

// Future errors: a request that times out, or whose target does not exist
// (the owner answers with protoactor's DeadLetterResponse, so it fails at
// once).
var (
	ErrTimeout    = pa.ErrTimeout
	ErrDeadLetter = pa.ErrDeadLetter
	// ErrNameExists reports a SpawnNamed with a name already in use.
	ErrNameExists = pa.ErrNameExists
)

// NewPID names an actor by address and id. Use PIDOn for an actor of a rank.
func NewPID(address, id string) *PID { return pa.NewPID(address, id) }

// NewBehavior makes a Behavior stack (Become / BecomeStacked).
func NewBehavior() Behavior { return pa.NewBehavior() }

// NewOneForOneStrategy supervises each failing child on its own.
func NewOneForOneStrategy(maxRetries int, within time.Duration, decider DeciderFunc) SupervisorStrategy {
	return pa.NewOneForOneStrategy(maxRetries, within, decider)
}

// NewAllForOneStrategy applies a failing child's directive to all children.
func NewAllForOneStrategy(maxRetries int, within time.Duration, decider DeciderFunc) SupervisorStrategy {
	return pa.NewAllForOneStrategy(maxRetries, within, decider)
}

// NewRestartingStrategy always restarts a failing child.
func NewRestartingStrategy() SupervisorStrategy { return pa.NewRestartingStrategy() }

// NewExponentialBackoffStrategy restarts with growing delays.
func NewExponentialBackoffStrategy(window, initial time.Duration) SupervisorStrategy {
	return pa.NewExponentialBackoffStrategy(window, initial)
}

// DefaultDecider restarts on any failure.
func DefaultDecider(reason any) Directive { return pa.DefaultDecider(reason) }

// WithSupervisor sets how the actor supervises its children.
func WithSupervisor(s SupervisorStrategy) PropsOption { return pa.WithSupervisor(s) }

// WithGuardian sets the supervisor of a root actor.
func WithGuardian(s SupervisorStrategy) PropsOption { return pa.WithGuardian(s) }

// WithReceiverMiddleware wraps the actor's message handling.
func WithReceiverMiddleware(m ...ReceiverMiddleware) PropsOption {
	return pa.WithReceiverMiddleware(m...)
}

// WithSenderMiddleware wraps the actor's sends.
func WithSenderMiddleware(m ...SenderMiddleware) PropsOption { return pa.WithSenderMiddleware(m...) }

// WithOnInit runs functions on the actor's context when it is spawned.
func WithOnInit(f ...func(Context)) PropsOption { return pa.WithOnInit(f...) }
