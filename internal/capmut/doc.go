// Package capmut makes captures from captures: seeded mutations of a
// capture's SIP (a 486 where the system under test answered 200, a missing
// ACK, a dropped BYE, a changed codec), each with the step at which a
// comparison with the original must flag it, and clones of a capture's
// dialogs with fresh identifiers, addresses and times (the large captures
// of internal/tools/bigcap). Messages are changed as sipgo messages and
// written back with pcapio.Writer, over the transport they came on; raw
// SIP text is never edited.
//
// It knows nothing of the replay engine: the fixtures it makes serve the
// flow comparison (internal/flow) and any replay alike.
package capmut
