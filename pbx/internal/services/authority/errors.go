package authority

import "errors"

// ErrBarred: the dialled number's class is beyond the caller's.
var ErrBarred = errors.New("call barred by outgoing call authority")
