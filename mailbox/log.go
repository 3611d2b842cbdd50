package mailbox

import (
	"github.com/asynkron/protoactor-go/actor"
	"go.uber.org/zap"
)

func zapPID(pid *actor.PID) zap.Field {
	if pid == nil {
		return zap.Skip()
	}
	return zap.String("pid", pid.Address+"/"+pid.Id)
}

func zapErr(err error) zap.Field { return zap.Error(err) }
