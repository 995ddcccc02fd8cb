// Package interop holds the interoperability tests of pbxlab against real
// SIP implementations run as separate processes: SIPp (sip-tester) as UAC,
// UAS and registering clients, talking to the pbxlab binary built from
// ./cmd/pbxlab; the simulator against Kamailio; baresip and linphone
// (linphonec of linphone-cli) through pbxlab; and Kamailio as the carrier
// of pbxlab's SIP trunk (TestTrunkThroughKamailio,
// testdata/kamailio-carrier.cfg: the trunk registers with digest, calls out
// through Kamailio to a SIPp UAS, and a SIPp UAC's call to a DID comes in
// through Kamailio to the trunk's registered contact).
// Hold and transfer with softphones nobody here wrote (baresip_hold_test.go,
// baresip_transfer_test.go, linphone_transfer_test.go): baresip, driven
// over its ctrl_tcp module, holds and is held (holds relayed and taken by
// the PBX, services.hold), transfers blind and is the transferee of blind
// and attended transfers; Debian 12's baresip 1.0.0 has no attended
// transfer, so linphonec is the attended transferor.
// The tests skip, loudly ("peer missing: NAME", internal/testpeer), only
// when a peer is missing, and fail instead under CI=true; .ci/run installs
// the peers.
//
// Every process a test starts runs in its own process group that dies with
// the test binary (internal/testproc); the test's cleanup ends the group
// and fails the test if any process of it (Kamailio's workers included)
// outlives it or its port is still bound.
//
// Run them with
//
//	go test -race -count=1 -v ./interop/...
//
// TestMain builds ../cmd/pbxlab once (with -race when the tests run with
// -race, so a data race under SIPp load fails the PBX's exit status) unless
// PBXLAB_BIN names a binary to test. PBXLAB_INTEROP_CALLS sets the number of
// calls of TestSIPpUACThroughPBX (default 1000, at 50 calls/s, about 25 s),
// PBXLAB_INTEROP_PRACK_CALLS those of TestSIPpPRACKThroughPBX (100rel both
// ways, default 20). TestSIPpSessionTimers (RFC 4028: 422/Min-SE,
// refreshes, 491 glare on the PBX's refresh) waits the RFC's real 45 s for
// the PBX's first refresh.
// The SIPp scenarios are in testdata/sipp and are also used by bench/run.sh.
package interop
