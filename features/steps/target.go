package steps

import (
	"context"
	"net/netip"

	"pbxlab/pbx/config"
)

// Target is the PBX the scenarios run against: InProcess starts a fresh
// PBX for every scenario, Live drives one that is already running.
type Target interface {
	// Configurable reports whether scenarios may change the PBX
	// configuration. Scenarios tagged @in-process are skipped (not failed)
	// on a target that is not.
	Configurable() bool
	// Open prepares the PBX for one scenario. The step library closes the
	// Session when the scenario ends.
	Open(ctx context.Context, sc ScenarioInfo) (Session, error)
}

// ScenarioInfo names one scenario run.
type ScenarioInfo struct {
	// Name is the sanitised scenario name, unique within a run; files the
	// target writes for the scenario start with it.
	Name string
	// Dir is the output directory for captures; "" writes no files.
	Dir string
}

// Session is the PBX as one scenario sees it.
type Session interface {
	// Configure edits the configuration the PBX starts with. It fails with
	// ErrNotConfigurable on a target that is not configurable and with
	// ErrStarted once the PBX runs.
	Configure(edit func(*config.Config)) error
	// Start starts the PBX if it is not running yet and says where to
	// reach it. Later calls return the same Endpoint.
	Start(ctx context.Context) (Endpoint, error)
	// Subscriber maps a number written in a scenario (1001, 1002, ...) to
	// a real subscriber; the same name always gives the same subscriber
	// within a session, different names give different subscribers.
	Subscriber(name string) (Subscriber, error)
	// Unassigned returns a number that is not a subscriber.
	Unassigned() string
	// Artifacts lists the files the session wrote (e.g. the PBX's own
	// capture), for failure messages.
	Artifacts() []string
	// Close stops what Start started and releases the subscribers.
	Close() error
}

// Endpoint is where phones reach the PBX.
type Endpoint struct {
	// Addr is the PBX's SIP address.
	Addr netip.AddrPort
	// Transport is "udp" or "tcp".
	Transport string
	// Domain is the SIP domain of the subscribers' addresses of record.
	Domain string
}

// Subscriber is a real subscriber of the PBX.
type Subscriber struct {
	Number   string
	Password string
}

// LogSource is implemented by a Session whose PBX writes logs the step
// library cannot otherwise see (a PBX in a container): a failing scenario
// gets them attached (godog.Attach, "pbx.log"). Logs must still answer
// after Close, which is when a failing scenario asks.
type LogSource interface {
	Logs() []byte
}
