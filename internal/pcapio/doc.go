// Package pcapio records the SIP and RTP that pbxlab sends and receives to a
// pcapng file that Wireshark opens and tshark dissects, and reads such files
// (and classic pcap files) back for tests and analysis.
//
// Writing: Create or NewWriter return a *Writer; UDP and TCP record one
// datagram or one segment each, wrapped in synthetic Ethernet, IPv4 or IPv6
// and UDP or TCP headers with correct lengths and checksums. TCP flows get a
// synthetic three-way handshake and consistent sequence numbers so Wireshark
// reassembles SIP over TCP. WrapPacketConn, WrapListener and WrapConn tap real
// sockets. A nil *Writer is valid and records nothing, so callers need no
// "is capture enabled" branches. All methods are safe for concurrent use.
//
// Recording never fails the caller: the first I/O error is logged, stops the
// capture and is returned by Close.
//
// Only one side of a conversation should be tapped into one Writer: if both
// the sender's and the receiver's sockets are wrapped with the same Writer,
// every packet appears twice.
//
// Reading: NewReader (or OpenFile) returns a *Reader whose Next returns the
// UDP datagrams and the in-order TCP payloads of a capture one Packet at a
// time, in bounded memory whatever the capture's size (see Limits: TCP
// directions, out-of-order bytes, IPv4 and IPv6 fragments), with counts of
// what it read and skipped (Stats). Read and ReadFile collect every Packet.
// SIPMessages keeps those that start like a SIP message. Parsing SIP is left
// to sipgo's parser (internal/sipwire streams a capture's SIP messages). A
// TCP Packet is one segment, so it may hold part of a SIP message or
// several; feed the TCP payloads of one direction into sipgo's stream
// parser, starting over at a Packet marked Gap.
package pcapio
