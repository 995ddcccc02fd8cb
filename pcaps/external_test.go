package pcaps

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
	"gopkg.in/yaml.v3"

	"pbxlab/internal/flow"
	"pbxlab/internal/sipwire"
	"pbxlab/internal/testpeer"
	"pbxlab/internal/testproc"
)

var update = flag.Bool("update", false, "rewrite pcaps/external/*.flow from the captures")

// externalDir holds the third-party captures (scripts/make-external-pcaps.sh).
const externalDir = "external"

// sidecar is a capture's NAME.yaml: what it shows, how it was made, and
// what a reader must find in it. Decoded strictly (unknown fields fail).
type sidecar struct {
	Shows       string       `yaml:"shows"`
	Made        made         `yaml:"made"`
	Peers       []peer       `yaml:"peers"`
	Transport   string       `yaml:"transport"` // udp or tcp
	IP          int          `yaml:"ip"`        // 4 or 6
	SUT         string       `yaml:"sut"`       // the address a replay targets
	Realm       string       `yaml:"realm"`
	Subscribers []subscriber `yaml:"subscribers"`
	Expect      expect       `yaml:"expect"`
}

type made struct {
	Script   string   `yaml:"script"`
	Commands []string `yaml:"commands"`
	Capture  string   `yaml:"capture"`
}

type peer struct {
	Name    string `yaml:"name"`
	Package string `yaml:"package"`
	Version string `yaml:"version"`
	Role    string `yaml:"role"`
	Address string `yaml:"address"`
}

type subscriber struct {
	User     string `yaml:"user"`
	Password string `yaml:"password"`
}

type expect struct {
	SIPMessages int      `yaml:"sip_messages"`
	CallIDs     []string `yaml:"call_ids"`
	Methods     []string `yaml:"methods"`
	Statuses    []int    `yaml:"statuses"`
}

func readSidecar(path string) (sidecar, error) {
	var s sidecar
	b, err := os.ReadFile(path)
	if err != nil {
		return s, err
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&s); err != nil {
		return s, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

// isCapture reports whether a file name is a capture's.
func isCapture(name string) bool {
	for _, ext := range []string{".pcapng", ".pcap", ".pcapng.gz", ".pcap.gz"} {
		if strings.HasSuffix(name, ext) {
			return true
		}
	}
	return false
}

// captureBase is a capture's name without its extension.
func captureBase(name string) string {
	for _, ext := range []string{".pcapng.gz", ".pcap.gz", ".pcapng", ".pcap"} {
		if b, ok := strings.CutSuffix(name, ext); ok {
			return b
		}
	}
	return name
}

// externalCaptures lists the captures of pcaps/external.
func externalCaptures(t *testing.T) []string {
	t.Helper()
	ents, err := os.ReadDir(externalDir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		if !e.IsDir() && isCapture(e.Name()) {
			out = append(out, e.Name())
		}
	}
	if len(out) == 0 {
		t.Fatal("no captures in pcaps/external")
	}
	return out
}

// Every capture has a sidecar, every sidecar and golden flow a capture,
// and nothing else lives in the folder but the READMEs; the folder stays
// well under 1 MB.
func TestExternalEveryCaptureHasASidecar(t *testing.T) {
	ents, err := os.ReadDir(externalDir)
	if err != nil {
		t.Fatal(err)
	}
	captures := map[string]bool{}
	for _, e := range ents {
		if isCapture(e.Name()) {
			captures[captureBase(e.Name())] = true
		}
	}
	var total int64
	for _, e := range ents {
		name := e.Name()
		info, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		total += info.Size()
		switch ext := filepath.Ext(name); {
		case e.IsDir():
			t.Errorf("%s: a folder in pcaps/external", name)
		case name == "README.md" || isCapture(name):
		case ext == ".yaml" || ext == ".flow":
			if !captures[strings.TrimSuffix(name, ext)] {
				t.Errorf("%s has no capture", name)
			}
		default:
			t.Errorf("%s: neither a capture, a sidecar (.yaml), a golden flow (.flow) nor README.md", name)
		}
	}
	exts := []string{".yaml", ".flow"}
	if *update {
		exts = exts[:1] // TestExternalFlowsMatchGolden writes the flows
	}
	for base := range captures {
		for _, ext := range exts {
			if _, err := os.Stat(filepath.Join(externalDir, base+ext)); err != nil {
				t.Errorf("capture %s has no %s", base, ext)
			}
		}
	}
	if total > 512<<10 {
		t.Errorf("pcaps/external holds %d bytes; keep it well under 1 MB", total)
	}
}

// The reader finds in each capture what its sidecar says: the number of
// SIP messages, the Call-IDs in order of first appearance, every method and
// status; every message goes over the sidecar's transport and IP version,
// and the SUT takes part.
func TestExternalReaderMatchesSidecar(t *testing.T) {
	for _, name := range externalCaptures(t) {
		t.Run(captureBase(name), func(t *testing.T) {
			sc, err := readSidecar(filepath.Join(externalDir, captureBase(name)+".yaml"))
			if err != nil {
				t.Fatal(err)
			}
			checkSidecar(t, sc)
			msgs, err := sipwire.ReadFile(filepath.Join(externalDir, name))
			if err != nil {
				t.Fatal(err)
			}
			var scanned int
			if err := sipwire.ScanFile(filepath.Join(externalDir, name), func(sipwire.Message) error { scanned++; return nil }); err != nil {
				t.Fatal(err)
			}
			if len(msgs) != sc.Expect.SIPMessages || scanned != sc.Expect.SIPMessages {
				t.Errorf("ReadFile found %d SIP messages, ScanFile %d; the sidecar says %d", len(msgs), scanned, sc.Expect.SIPMessages)
			}
			var callIDs []string
			methods, statuses := map[string]bool{}, map[int]bool{}
			sut := netip.MustParseAddrPort(sc.SUT)
			sawSUT := false
			for i, m := range msgs {
				if c := m.Msg.CallID(); c != nil && !slices.Contains(callIDs, c.Value()) {
					callIDs = append(callIDs, c.Value())
				}
				switch v := m.Msg.(type) {
				case *sip.Request:
					methods[string(v.Method)] = true
				case *sip.Response:
					statuses[v.StatusCode] = true
				}
				if m.Proto != sc.Transport {
					t.Errorf("message %d over %s, the sidecar says %s", i, m.Proto, sc.Transport)
				}
				if ipVersion(m.Src.Addr()) != sc.IP || ipVersion(m.Dst.Addr()) != sc.IP {
					t.Errorf("message %d %s -> %s, the sidecar says IPv%d", i, m.Src, m.Dst, sc.IP)
				}
				sawSUT = sawSUT || m.Src == sut || m.Dst == sut
			}
			if !slices.Equal(callIDs, sc.Expect.CallIDs) {
				t.Errorf("Call-IDs %q, the sidecar says %q", callIDs, sc.Expect.CallIDs)
			}
			for _, want := range sc.Expect.Methods {
				if !methods[want] {
					t.Errorf("no %s request (methods seen: %v)", want, methods)
				}
			}
			for _, want := range sc.Expect.Statuses {
				if !statuses[want] {
					t.Errorf("no %d response (statuses seen: %v)", want, statuses)
				}
			}
			if len(methods) != len(sc.Expect.Methods) || len(statuses) != len(sc.Expect.Statuses) {
				t.Errorf("methods %v and statuses %v seen; the sidecar lists %v and %v", methods, statuses, sc.Expect.Methods, sc.Expect.Statuses)
			}
			if !sawSUT {
				t.Errorf("no message from or to the SUT %s", sut)
			}
		})
	}
}

// checkSidecar: the fields a replay and a reader need are there.
func checkSidecar(t *testing.T, sc sidecar) {
	t.Helper()
	switch {
	case sc.Shows == "" || sc.Made.Script == "" || len(sc.Made.Commands) == 0 || sc.Made.Capture == "":
		t.Error("sidecar: shows and made (script, commands, capture) are required")
	case len(sc.Peers) < 2:
		t.Errorf("sidecar: %d peers, want at least two", len(sc.Peers))
	case sc.Transport != "udp" && sc.Transport != "tcp":
		t.Errorf("sidecar: transport %q, want udp or tcp", sc.Transport)
	case sc.IP != 4 && sc.IP != 6:
		t.Errorf("sidecar: ip %d, want 4 or 6", sc.IP)
	case len(sc.Subscribers) == 0 || sc.Realm == "":
		t.Error("sidecar: realm and subscribers are required")
	case sc.Expect.SIPMessages == 0 || len(sc.Expect.CallIDs) == 0:
		t.Error("sidecar: expect.sip_messages and expect.call_ids are required")
	}
	for _, p := range sc.Peers {
		if p.Name == "" || p.Package == "" || p.Version == "" || p.Role == "" || p.Address == "" {
			t.Errorf("sidecar: peer %+v: every field is required", p)
		}
	}
	if _, err := netip.ParseAddrPort(sc.SUT); err != nil {
		t.Fatalf("sidecar: sut: %v", err)
	}
}

func ipVersion(a netip.Addr) int {
	if a.Unmap().Is4() {
		return 4
	}
	return 6
}

// The normalised flow of each capture, with the sidecar's SUT as PBX,
// equals its golden NAME.flow (go test ./pcaps/ -update rewrites them).
func TestExternalFlowsMatchGolden(t *testing.T) {
	for _, name := range externalCaptures(t) {
		t.Run(captureBase(name), func(t *testing.T) {
			base := filepath.Join(externalDir, captureBase(name))
			sc, err := readSidecar(base + ".yaml")
			if err != nil {
				t.Fatal(err)
			}
			msgs, err := sipwire.ReadFile(filepath.Join(externalDir, name))
			if err != nil {
				t.Fatal(err)
			}
			got := flow.New(msgs, flow.WithSUT(netip.MustParseAddrPort(sc.SUT)))
			if *update {
				var b bytes.Buffer
				if err := got.WriteText(&b); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(base+".flow", b.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			f, err := os.Open(base + ".flow")
			if err != nil {
				t.Fatalf("%v (go test ./pcaps/ -update writes it)", err)
			}
			defer f.Close()
			want, err := flow.ParseText(f)
			if err != nil {
				t.Fatal(err)
			}
			if r := flow.Compare(want, got); !r.Equal() {
				t.Errorf("the flow of %s differs from %s.flow (go test ./pcaps/ -update rewrites it):\n%s", name, base, r)
			}
			// Compare is dialog by dialog; the golden file is also the exact text
			if gotText, wantText := got.String(), want.String(); gotText != wantText {
				t.Errorf("the flow of %s, as text, differs from %s.flow:\ngot:\n%s\nwant:\n%s", name, base, gotText, wantText)
			}
			for _, s := range got.Steps {
				if s.From == "?" || s.To == "?" {
					t.Errorf("a step with an unknown party: %+v", s)
				}
			}
		})
	}
}

// tshark (Wireshark's dissector, where installed) finds the same SIP
// messages as the reader, in the same order: Call-ID and method or status.
func TestExternalReaderAgreesWithTshark(t *testing.T) {
	bin := testpeer.Require(t, testpeer.Tshark)
	for _, name := range externalCaptures(t) {
		t.Run(captureBase(name), func(t *testing.T) {
			path := filepath.Join(externalDir, name)
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			var out, errb bytes.Buffer
			cmd := exec.Command(bin, "-r", path, "-Y", "sip", "-T", "fields", "-E", "occurrence=a", "-E", "separator=/t",
				"-e", "sip.Call-ID", "-e", "sip.Method", "-e", "sip.Status-Code")
			cmd.Stdout, cmd.Stderr = &out, &errb
			if err := testproc.Run(ctx, cmd); err != nil {
				t.Fatalf("tshark: %v\n%s", err, errb.String())
			}
			var frames int
			var want []string
			for line := range strings.SplitSeq(strings.TrimSpace(out.String()), "\n") {
				if line == "" {
					continue
				}
				frames++
				f := strings.Split(line, "\t")
				for len(f) < 3 {
					f = append(f, "")
				}
				// several messages in one frame: the fields are lists, in
				// message order; a message has a method or a status
				ids, labels := strings.Split(f[0], ","), tsharkLabels(f[1], f[2])
				if len(ids) != len(labels) {
					t.Fatalf("tshark line %q: %d Call-IDs, %d methods and statuses", line, len(ids), len(labels))
				}
				for i := range ids {
					want = append(want, ids[i]+" "+labels[i])
				}
			}
			msgs, err := sipwire.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, m := range msgs {
				label := ""
				switch v := m.Msg.(type) {
				case *sip.Request:
					label = string(v.Method)
				case *sip.Response:
					label = strconv.Itoa(v.StatusCode)
				}
				got = append(got, m.Msg.CallID().Value()+" "+label)
			}
			if !slices.Equal(got, want) {
				t.Errorf("reader: %d messages, tshark -Y sip: %d frames, %d messages\nreader: %q\ntshark: %q", len(got), frames, len(want), got, want)
			}
		})
	}
}

// tsharkLabels: the methods and statuses of a frame's messages. tshark
// lists the methods of its requests and the statuses of its responses
// separately; on loopback a frame holds one message, or several of one kind.
func tsharkLabels(methods, statuses string) []string {
	var out []string
	for _, l := range []string{methods, statuses} {
		if l != "" {
			out = append(out, strings.Split(l, ",")...)
		}
	}
	return out
}
