package steps

// Wire messages shared by the capture tests.

const testInvite = "INVITE sip:1002@127.0.0.1:5999 SIP/2.0\r\n" +
	"Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKpbx1\r\n" +
	"Max-Forwards: 70\r\n" +
	"From: <sip:1001@127.0.0.1>;tag=a1\r\n" +
	"To: <sip:1002@127.0.0.1>\r\n" +
	"Call-ID: call-1\r\n" +
	"CSeq: 1 INVITE\r\n" +
	"Contact: <sip:pbx@127.0.0.1:5060>\r\n" +
	"Content-Length: 0\r\n\r\n"

const testCancel = "CANCEL sip:1002@127.0.0.1:5999 SIP/2.0\r\n" +
	"Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKpbx1\r\n" +
	"Max-Forwards: 70\r\n" +
	"From: <sip:1001@127.0.0.1>;tag=a1\r\n" +
	"To: <sip:1002@127.0.0.1>\r\n" +
	"Call-ID: call-1\r\n" +
	"CSeq: 1 CANCEL\r\n" +
	"Content-Length: 0\r\n\r\n"

const testAck = "ACK sip:1002@127.0.0.1:5999 SIP/2.0\r\n" +
	"Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKpbx1\r\n" +
	"Max-Forwards: 70\r\n" +
	"From: <sip:1001@127.0.0.1>;tag=a1\r\n" +
	"To: <sip:1002@127.0.0.1>;tag=x\r\n" +
	"Call-ID: call-1\r\n" +
	"CSeq: 1 ACK\r\n" +
	"Content-Length: 0\r\n\r\n"
