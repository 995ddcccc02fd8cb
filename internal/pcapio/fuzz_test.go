package pcapio

import (
	"bytes"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// seedFiles are the committed seeds of FuzzRead, rebuilt by
// TestFuzzReadSeedsCurrent with PCAPIO_UPDATE_SEEDS=1.
func seedFiles(t testing.TB) map[string][]byte {
	src, dst := ap("192.0.2.1:5060"), ap("192.0.2.2:5060")
	invite := []byte("INVITE sip:bob@example.com SIP/2.0\r\nContent-Length: 0\r\n\r\n" + string(bytes.Repeat([]byte("x"), 100)))
	return map[string][]byte{
		"sample-pcapng":   sampleCapture(t),
		"fragments-pcap":  classicPcap(t, layers.LinkTypeRaw, fragments(t, src, dst, invite, 64)...),
		"ethernet-pcap":   classicPcap(t, layers.LinkTypeEthernet, ethUDP(t, src, dst, invite)),
		"ipv6-linktype":   classicPcap(t, layers.LinkTypeIPv6, ethUDP(t, ap("[2001:db8::1]:5060"), ap("[2001:db8::2]:5060"), invite)[14:]),
		"not-a-capture":   []byte("SIP/2.0 200 OK\r\n\r\n"),
		"truncated-ngcap": sampleCapture(t)[:300],
		"ipv6-fragments":  classicPcap(t, layers.LinkTypeRaw, ipv6Fragments(t, ap("[2001:db8::1]:5060"), ap("[2001:db8::2]:5060"), invite, 64, 1)...),
		"qinq-pcap": classicPcap(t, layers.LinkTypeEthernet, serialize(t,
			&layers.Ethernet{SrcMAC: fakeMAC(src.Addr()), DstMAC: fakeMAC(dst.Addr()), EthernetType: layers.EthernetTypeQinQ},
			&layers.Dot1Q{VLANIdentifier: 1, Type: layers.EthernetTypeDot1Q}, &layers.Dot1Q{VLANIdentifier: 2, Type: layers.EthernetTypeIPv4},
			gopacket.Payload(ethUDP(t, src, dst, invite)[14:]))),
		"sll2-pcap": classicPcap(t, layers.LinkTypeLinuxSLL2, append(sll2Header(layers.EthernetTypeIPv4), ethUDP(t, src, dst, invite)[14:]...)),
		"snaplen-tcp": pcapOf(t, layers.LinkTypeEthernet, rec{frame: tcpFrame(t, src, dst, 1, "S", "")},
			rec{frame: tcpFrame(t, src, dst, 2, "", string(invite)), cut: 50}, rec{frame: tcpFrame(t, src, dst, 2+uint32(len(invite)), "F", "")}),
	}
}

func corpusFile(data []byte) []byte {
	return fmt.Appendf(nil, "go test fuzz v1\n[]byte(%q)\n", data)
}

// TestFuzzReadSeedsCurrent checks that the committed seed corpus matches
// what the code writes today, which also pins the writer's output bytes.
func TestFuzzReadSeedsCurrent(t *testing.T) {
	dir := filepath.Join("testdata", "fuzz", "FuzzRead")
	update := os.Getenv("PCAPIO_UPDATE_SEEDS") == "1"
	for name, data := range seedFiles(t) {
		path := filepath.Join(dir, name)
		want := corpusFile(data)
		if update {
			if err := os.WriteFile(path, want, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (PCAPIO_UPDATE_SEEDS=1 go test -run TestFuzzReadSeedsCurrent rebuilds the seeds)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s is stale: the writer's output changed (PCAPIO_UPDATE_SEEDS=1 rebuilds it)", path)
		}
	}
}

func FuzzRead(f *testing.F) {
	f.Add([]byte{})
	f.Add(sampleCapture(f))
	f.Fuzz(func(t *testing.T, data []byte) {
		pkts, _ := Read(bytes.NewReader(data))
		for _, p := range pkts {
			if p.Proto != ProtoUDP && p.Proto != ProtoTCP {
				t.Fatalf("Proto = %q", p.Proto)
			}
			if !p.Src.Addr().IsValid() || !p.Dst.Addr().IsValid() {
				t.Fatalf("invalid address in %+v", p)
			}
			if p.Proto == ProtoTCP && len(p.Payload) == 0 {
				t.Fatal("empty TCP payload returned")
			}
		}
		if len(SIPMessages(pkts)) > len(pkts) {
			t.Fatal("SIPMessages returned more packets than it got")
		}
		// Every UDP datagram read must survive being written and read again.
		var udp []Packet
		for _, p := range pkts {
			if p.Proto == ProtoUDP && len(p.Payload) <= 1400 {
				udp = append(udp, p)
			}
		}
		var buf bytes.Buffer
		w, err := NewWriter(&buf)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range udp {
			w.UDP(p.Src, p.Dst, p.Payload)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		back, err := Read(&buf)
		if err != nil {
			t.Fatal(err)
		}
		if len(back) != len(udp) {
			t.Fatalf("re-read %d datagrams, wrote %d", len(back), len(udp))
		}
		for i, p := range udp {
			src, dst := normalisePair(p.Src, p.Dst)
			if back[i].Src != src || back[i].Dst != dst || !bytes.Equal(back[i].Payload, p.Payload) {
				t.Fatalf("datagram %d changed: %+v → %+v", i, p, back[i])
			}
		}
	})
}

func FuzzRoundTrip(f *testing.F) {
	f.Add([]byte{192, 0, 2, 1}, []byte{192, 0, 2, 2}, uint16(5060), uint16(5062), []byte("OPTIONS sip:x SIP/2.0\r\n\r\n"), false)
	f.Add(netip.MustParseAddr("2001:db8::1").AsSlice(), []byte{10, 0, 0, 1}, uint16(40000), uint16(5060), []byte("INVITE"), true)
	f.Add(netip.MustParseAddr("::ffff:10.0.0.1").AsSlice(), netip.MustParseAddr("::ffff:10.0.0.2").AsSlice(), uint16(0), uint16(0), []byte{}, true)
	f.Fuzz(func(t *testing.T, srcIP, dstIP []byte, sport, dport uint16, payload []byte, tcp bool) {
		sa, ok1 := netip.AddrFromSlice(srcIP)
		da, ok2 := netip.AddrFromSlice(dstIP)
		if !ok1 || !ok2 {
			return
		}
		src, dst := normalisePair(netip.AddrPortFrom(sa, sport), netip.AddrPortFrom(da, dport))
		if tcp && src == dst {
			return // a connection to itself: both directions look the same on the wire
		}
		var buf bytes.Buffer
		w, err := NewWriter(&buf)
		if err != nil {
			t.Fatal(err)
		}
		if tcp {
			w.TCP(netip.AddrPortFrom(sa, sport), netip.AddrPortFrom(da, dport), payload)
		} else {
			w.UDP(netip.AddrPortFrom(sa, sport), netip.AddrPortFrom(da, dport), payload)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		pkts, err := Read(&buf)
		if err != nil {
			t.Fatal(err)
		}
		var got []byte
		for _, p := range pkts {
			if p.Src != src || p.Dst != dst {
				t.Fatalf("addresses %s→%s, want %s→%s", p.Src, p.Dst, src, dst)
			}
			got = append(got, p.Payload...)
		}
		tooBig := !tcp && len(payload) > maxPayload(src.Addr(), udpHeaderLen)
		switch {
		case tcp && len(payload) == 0, tooBig:
			if len(pkts) != 0 {
				t.Fatalf("read %d packets, want none", len(pkts))
			}
		case tcp: // a large payload comes back in several segments
			if len(pkts) == 0 || !bytes.Equal(got, payload) {
				t.Fatalf("read %d segments with %q, want %q", len(pkts), got, payload)
			}
		default:
			if len(pkts) != 1 || !bytes.Equal(got, payload) {
				t.Fatalf("read %d datagrams with %q, want one with %q", len(pkts), got, payload)
			}
		}
	})
}

// FuzzStream: whatever the bytes, a Reader with tiny limits (so eviction,
// gap give-up and fragment drops all run) never panics, returns sane
// Packets, keeps its counts consistent, and ends with io.EOF or an error
// it then repeats.
func FuzzStream(f *testing.F) {
	for _, seed := range seedFiles(f) {
		f.Add(seed)
	}
	a, b, c := ap("10.0.0.1:1001"), ap("10.0.0.2:5060"), ap("10.0.0.3:1003")
	f.Add(pcapOf(f, layers.LinkTypeEthernet,
		rec{frame: tcpFrame(f, a, b, 0, "S", "")}, rec{frame: tcpFrame(f, a, b, 5, "", "later")},
		rec{frame: tcpFrame(f, c, b, 1, "", "other"), at: time.Second}, rec{frame: tcpFrame(f, a, b, 1, "", "abcd"), cut: 2},
		rec{frame: tcpFrame(f, b, a, 1, "R", ""), at: time.Minute}))
	f.Add(classicPcap(f, layers.LinkTypeRaw, ipv6Fragments(f, ap("[2001:db8::1]:5060"), ap("[2001:db8::2]:5060"), bytes.Repeat([]byte("z"), 300), 64, 3)...))
	tiny := Limits{MaxFlows: 2, FlowIdle: time.Second, MaxHeldSegments: 2, MaxHeldBytes: 16, MaxBufferedBytes: 24, MaxFragDatagrams: 1, FragTimeout: time.Second}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, opts := range [][]ReaderOption{{WithStreamEnds(), WithLimits(tiny)}, nil} {
			rd, err := NewReader(bytes.NewReader(data), opts...)
			if err != nil {
				return
			}
			n := 0
			for {
				p, err := rd.Next()
				if err != nil {
					if again := func() error { _, e := rd.Next(); return e }(); again.Error() != err.Error() {
						t.Fatalf("Next after %v returned %v", err, again)
					}
					break
				}
				switch {
				case p.Proto != ProtoUDP && p.Proto != ProtoTCP:
					t.Fatalf("Proto = %q", p.Proto)
				case !p.Src.Addr().IsValid() || !p.Dst.Addr().IsValid():
					t.Fatalf("invalid address in %+v", p)
				case p.End && (p.Proto != ProtoTCP || len(p.Payload) != 0):
					t.Fatalf("bad End marker %+v", p)
				case !p.End && p.Proto == ProtoTCP && len(p.Payload) == 0:
					t.Fatal("empty TCP payload returned")
				case (p.Gap || p.End) && p.Proto == ProtoUDP:
					t.Fatalf("UDP packet marked %+v", p)
				}
				if !p.End {
					n++
				}
			}
			st := rd.Stats()
			if st.Packets != n || st.Bytes > int64(len(data)) && data[0] != 0x1f || st.FragmentsDropped > st.Fragments {
				t.Fatalf("stats %+v after %d packets of %d bytes", st, n, len(data))
			}
		}
	})
}
