package actor

import (
	"log/slog"

	pa "github.com/asynkron/protoactor-go/actor"
	"go.uber.org/zap"
	"go.uber.org/zap/exp/zapslog"
	"go.uber.org/zap/zapcore"
)

// protoactorLogger bridges protoactor's log/slog logging to zap, keeping
// only records at level and above.
func protoactorLogger(l *zap.Logger, level zapcore.Level) pa.ConfigOption {
	core := l.Core()
	if c, err := zapcore.NewIncreaseLevelCore(core, level); err == nil {
		core = c
	}
	return pa.WithLoggerFactory(func(*pa.ActorSystem) *slog.Logger {
		return slog.New(zapslog.NewHandler(core, zapslog.WithName("protoactor")))
	})
}
