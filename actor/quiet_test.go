package actor_test

import (
	"io"
	"log/slog"

	pa "github.com/asynkron/protoactor-go/actor"
)

func quietLogger(*pa.ActorSystem) *slog.Logger {
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}
