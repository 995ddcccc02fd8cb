package pcapio

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"pbxlab/internal/testpeer"
	"pbxlab/internal/testproc"
)

// tshark runs tshark with args and returns its non-empty output lines. A
// missing tshark skips the test, loudly (fails it under CI=true).
func tshark(t *testing.T, args ...string) []string {
	t.Helper()
	bin := testpeer.Require(t, testpeer.Tshark)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.Command(bin, append([]string{"-n"}, args...)...)
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir()) // no user preferences
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := testproc.Run(ctx, cmd); err != nil {
		t.Fatalf("tshark %v: %v\n%s", args, err, stderr.String())
	}
	var lines []string
	for l := range strings.SplitSeq(out.String(), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	return lines
}

func writeSampleFile(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "sample.pcapng")
	if err := os.WriteFile(path, sampleCapture(t), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestTsharkDissectsSIP(t *testing.T) {
	path := writeSampleFile(t)
	got := tshark(t, "-r", path, "-Y", "sip", "-T", "fields", "-E", "separator=,",
		"-e", "frame.protocols", "-e", "sip.Method", "-e", "sip.Status-Code")
	var summary []string
	for _, l := range got {
		f := strings.Split(l, ",")
		if len(f) != 3 {
			t.Fatalf("tshark line %q: want 3 fields", l)
		}
		transport := "udp"
		if strings.Contains(f[0], ":tcp:") {
			transport = "tcp"
		}
		family := "ipv4"
		if strings.Contains(f[0], ":ipv6:") {
			family = "ipv6"
		}
		summary = append(summary, family+" "+transport+" "+f[1]+f[2])
	}
	want := []string{
		"ipv4 udp OPTIONS", "ipv4 udp 200",
		"ipv6 udp OPTIONS", "ipv6 udp 200",
		"ipv4 tcp OPTIONS", "ipv4 tcp 200", // the request reassembled from two segments
	}
	if !slices.Equal(summary, want) {
		t.Errorf("tshark SIP = %q, want %q", summary, want)
	}
}

func TestTsharkDissectsRTP(t *testing.T) {
	path := writeSampleFile(t)
	port := strconv.Itoa(int(sampleRTPA.Port()))
	got := tshark(t, "-r", path, "-d", "udp.port=="+port+",rtp", "-Y", "rtp",
		"-T", "fields", "-e", "rtp.seq", "-e", "rtp.p_type")
	var want []string
	for i := range sampleRTPCount {
		want = append(want, strconv.Itoa(100+i)+"\t0", strconv.Itoa(500+i)+"\t0")
	}
	if !slices.Equal(got, want) {
		t.Errorf("tshark RTP = %q, want %q", got, want)
	}
}

func TestTsharkFindsNoProblems(t *testing.T) {
	path := writeSampleFile(t)
	check := []string{"-r", path,
		"-o", "ip.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE", "-o", "tcp.check_checksum:TRUE"}
	good := tshark(t, append(check, "-Y", "udp.checksum.status == 1 || tcp.checksum.status == 1")...)
	if len(good) == 0 {
		t.Fatal("tshark verified no checksum: the check below would prove nothing")
	}
	bad := tshark(t, append(check, "-Y",
		"ip.checksum.status != 1 || udp.checksum.status != 1 || tcp.checksum.status != 1 || "+
			"tcp.analysis.flags || _ws.malformed || _ws.expert.severity >= warning")...)
	if len(bad) != 0 {
		t.Errorf("tshark reports problems:\n%s", strings.Join(bad, "\n"))
	}
}

// TestTsharkAgreesOnReassembly: over IPv4 and IPv6 fragments (out of
// order), VLAN, QinQ and Linux cooked framing and out-of-order TCP, the
// SIP messages pcapio puts together are the ones tshark dissects.
func TestTsharkAgreesOnReassembly(t *testing.T) {
	invite := func(id string) []byte {
		return []byte("INVITE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK-" + id +
			"\r\nFrom: <sip:a@x>;tag=1\r\nTo: <sip:b@x>\r\nCall-ID: " + id + "\r\nCSeq: 1 INVITE\r\nMax-Forwards: 70\r\n" +
			"Content-Length: 0\r\nX-Pad: " + strings.Repeat("p", 3000) + "\r\n\r\n")
	}
	src, dst := ap("192.0.2.1:5060"), ap("192.0.2.2:5060")
	src6, dst6 := ap("[2001:db8::1]:5060"), ap("[2001:db8::2]:5060")
	var frames [][]byte
	for _, f := range fragments(t, src, dst, invite("frag4"), 1200) {
		frames = append(frames, serialize(t, &layers.Ethernet{SrcMAC: fakeMAC(src.Addr()), DstMAC: fakeMAC(dst.Addr()), EthernetType: layers.EthernetTypeIPv4}, gopacket.Payload(f)))
	}
	for _, f := range ipv6Fragments(t, src6, dst6, invite("frag6"), 1232, 5) {
		frames = append(frames, serialize(t, &layers.Ethernet{SrcMAC: fakeMAC(src6.Addr()), DstMAC: fakeMAC(dst6.Addr()), EthernetType: layers.EthernetTypeIPv6}, gopacket.Payload(f)))
	}
	small := func(id string) []byte { return sipOptions(src, dst, "UDP-"+id) }
	raw := ethUDP(t, src, dst, small("vlan"))[14:]
	frames = append(frames, serialize(t, &layers.Ethernet{SrcMAC: fakeMAC(src.Addr()), DstMAC: fakeMAC(dst.Addr()), EthernetType: layers.EthernetTypeDot1Q},
		&layers.Dot1Q{VLANIdentifier: 7, Type: layers.EthernetTypeIPv4}, gopacket.Payload(raw)))
	raw = ethUDP(t, src, dst, small("qinq"))[14:]
	frames = append(frames, serialize(t, &layers.Ethernet{SrcMAC: fakeMAC(src.Addr()), DstMAC: fakeMAC(dst.Addr()), EthernetType: layers.EthernetTypeQinQ},
		&layers.Dot1Q{VLANIdentifier: 7, Type: layers.EthernetTypeDot1Q}, &layers.Dot1Q{VLANIdentifier: 8, Type: layers.EthernetTypeIPv4}, gopacket.Payload(raw)))
	a, b := ap("192.0.2.1:40000"), ap("192.0.2.2:5060")
	req := string(sipOptions(a, b, "TCP"))
	frames = append(frames,
		tcpFrame(t, a, b, 100, "S", ""), tcpFrame(t, b, a, 500, "SA", ""),
		tcpFrame(t, a, b, 101+50, "", req[50:]), tcpFrame(t, a, b, 101, "", req[:50])) // out of order
	path := filepath.Join(t.TempDir(), "mixed.pcap")
	if err := os.WriteFile(path, classicPcap(t, layers.LinkTypeEthernet, frames...), 0o644); err != nil {
		t.Fatal(err)
	}
	fromTshark := tshark(t, "-r", path, "-o", "tcp.reassemble_out_of_order:TRUE", "-Y", "sip", "-T", "fields", "-e", "sip.Call-ID")
	pkts, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var fromUDP []string
	var tcp []byte
	for _, p := range pkts {
		if p.Proto == ProtoTCP {
			tcp = append(tcp, p.Payload...)
			continue
		}
		_, rest, _ := bytes.Cut(p.Payload, []byte("Call-ID: "))
		id, _, _ := bytes.Cut(rest, []byte("\r\n"))
		fromUDP = append(fromUDP, string(id))
	}
	want := []string{"frag4", "frag6", "call-UDP-vlan@pbxlab", "call-UDP-qinq@pbxlab", "call-TCP@pbxlab"}
	slices.Sort(want)
	slices.Sort(fromTshark)
	if !slices.Equal(fromTshark, want) {
		t.Fatalf("tshark SIP Call-IDs = %q, want %q (the test's capture is wrong)", fromTshark, want)
	}
	if got := append(fromUDP, "call-TCP@pbxlab"); !slices.Equal(slices.Sorted(slices.Values(got)), want) || string(tcp) != req {
		t.Errorf("pcapio: UDP Call-IDs %q, TCP stream %q", fromUDP, tcp)
	}
}
