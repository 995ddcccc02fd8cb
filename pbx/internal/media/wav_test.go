package media

import (
	"bytes"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/zaf/g711"

	"pbxlab/internal/tone"
)

// update rewrites the package's golden files: go test ./pbx/internal/media -update
var update = flag.Bool("update", false, "rewrite golden files")

// memFile is an in-memory io.WriterAt (a file that grows).
type memFile struct{ b []byte }

func (m *memFile) WriteAt(p []byte, off int64) (int, error) {
	if end := int(off) + len(p); end > len(m.b) {
		m.b = append(m.b, make([]byte, end-len(m.b))...)
	}
	return copy(m.b[off:], p), nil
}

// wavBytes builds a WAV from raw pieces: the RIFF size is computed unless
// riffSize >= 0 forces it.
func wavBytes(riffSize int, chunks ...[]byte) []byte {
	body := []byte("WAVE")
	for _, c := range chunks {
		body = append(body, c...)
	}
	out := []byte("RIFF")
	size := uint32(len(body))
	if riffSize >= 0 {
		size = uint32(riffSize)
	}
	out = binary.LittleEndian.AppendUint32(out, size)
	return append(out, body...)
}

// chunk builds one chunk: ID, size, payload and the pad byte when odd.
func chunk(id string, payload []byte) []byte {
	out := append([]byte(id), binary.LittleEndian.AppendUint32(nil, uint32(len(payload)))...)
	out = append(out, payload...)
	if len(payload)%2 == 1 {
		out = append(out, 0)
	}
	return out
}

// fmtChunk is a fmt chunk for format/channels/rate/bits with consistent
// block align and byte rate.
func fmtChunk(format WAVFormat, channels uint16, rate uint32, bits uint16) []byte {
	le := binary.LittleEndian
	b := le.AppendUint16(nil, uint16(format))
	b = le.AppendUint16(b, channels)
	b = le.AppendUint32(b, rate)
	align := channels * bits / 8
	b = le.AppendUint32(b, rate*uint32(align))
	b = le.AppendUint16(b, align)
	b = le.AppendUint16(b, bits)
	return chunk("fmt ", b)
}

// extensibleFmt is a WAVE_FORMAT_EXTENSIBLE fmt chunk of sub-format sub.
func extensibleFmt(sub WAVFormat, bits uint16) []byte {
	c := fmtChunk(wavExtensible, 1, 8000, bits)
	payload := c[8:]
	le := binary.LittleEndian
	payload = le.AppendUint16(payload, 22)
	payload = le.AppendUint16(payload, bits)
	payload = le.AppendUint32(payload, 4) // front centre
	payload = le.AppendUint16(payload, uint16(sub))
	payload = append(payload, 0, 0)
	payload = append(payload, extensibleTail...)
	return chunk("fmt ", payload)
}

func pcmBytes(s []int16) []byte {
	var b []byte
	for _, v := range s {
		b = binary.LittleEndian.AppendUint16(b, uint16(v))
	}
	return b
}

// testTone is 100 ms of a 1 kHz sine at half scale.
func testTone() []int16 {
	s := make([]int16, 800)
	tone.New(1000, SampleRate, 0.5).Fill(s)
	return s
}

func TestDecodeWAVAccepts(t *testing.T) {
	s := testTone()
	ulaw := g711.EncodeUlaw(pcmBytes(s))
	alaw := g711.EncodeAlaw(pcmBytes(s))
	decU, decA := make([]int16, len(s)), make([]int16, len(s))
	for i := range s {
		decU[i], decA[i] = g711.DecodeUlawFrame(ulaw[i]), g711.DecodeAlawFrame(alaw[i])
	}
	odd := ulaw[:799]
	for _, tc := range []struct {
		name string
		file []byte
		want []int16
	}{
		{"pcm16", wavBytes(-1, fmtChunk(WAVPCM, 1, 8000, 16), chunk("data", pcmBytes(s))), s},
		{"ulaw", wavBytes(-1, fmtChunk(WAVULaw, 1, 8000, 8), chunk("data", ulaw)), decU},
		{"alaw", wavBytes(-1, fmtChunk(WAVALaw, 1, 8000, 8), chunk("data", alaw)), decA},
		{"ulaw odd length padded", wavBytes(-1, fmtChunk(WAVULaw, 1, 8000, 8), chunk("data", odd)), decU[:799]},
		{"other chunks skipped", wavBytes(-1, chunk("LIST", []byte("INFOISFT\x05\x00\x00\x00pbxl\x00\x00")), fmtChunk(WAVPCM, 1, 8000, 16),
			chunk("fact", []byte{1, 2, 3}), chunk("data", pcmBytes(s)), chunk("cue ", nil)), s},
		{"extensible pcm", wavBytes(-1, extensibleFmt(WAVPCM, 16), chunk("data", pcmBytes(s))), s},
		{"extensible ulaw", wavBytes(-1, extensibleFmt(WAVULaw, 8), chunk("data", ulaw)), decU},
		{"empty data", wavBytes(-1, fmtChunk(WAVPCM, 1, 8000, 16), chunk("data", nil)), nil},
		{"trailing bytes after RIFF ignored", append(wavBytes(-1, fmtChunk(WAVPCM, 1, 8000, 16), chunk("data", pcmBytes(s))), 1, 2, 3), s},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := DecodeWAV(bytes.NewReader(tc.file), 0)
			if err != nil {
				t.Fatal(err)
			}
			if got := c.Samples(); !slices.Equal(got, tc.want) {
				t.Fatalf("decoded %d samples, want %d (equal: %v)", len(got), len(tc.want), slices.Equal(got, tc.want))
			}
		})
	}
}

func TestDecodeWAVRefuses(t *testing.T) {
	s := pcmBytes(testTone())
	good := fmtChunk(WAVPCM, 1, 8000, 16)
	data := chunk("data", s)
	whole := wavBytes(-1, good, data)
	badAlign := slices.Clone(good)
	binary.LittleEndian.PutUint16(badAlign[8+12:], 4)
	badGUID := extensibleFmt(WAVULaw, 8)
	badGUID[len(badGUID)-1] ^= 0xff
	oddNoPad := wavBytes(-1, fmtChunk(WAVULaw, 1, 8000, 8), chunk("data", []byte{1, 2, 3}))
	oddNoPad = oddNoPad[:len(oddNoPad)-1]
	binary.LittleEndian.PutUint32(oddNoPad[4:], uint32(len(oddNoPad)-8))
	for _, tc := range []struct {
		name string
		file []byte
		want error
	}{
		{"empty", nil, ErrNotWAV},
		{"short", []byte("RIF"), ErrNotWAV},
		{"header cut", []byte("RIFF\x10\x00\x00"), ErrWAVTruncated},
		{"not riff", append([]byte("OggS"), whole[4:]...), ErrNotWAV},
		{"not wave", append(append([]byte(nil), whole[:8]...), append([]byte("AVI "), whole[12:]...)...), ErrNotWAV},
		{"rifx", append([]byte("RIFX"), whole[4:]...), ErrWAVFormat},
		{"rf64", append([]byte("RF64"), whole[4:]...), ErrWAVFormat},
		{"giant riff size", wavBytes(0xFFFFFFFF, good, data), ErrWAVTooLarge},
		{"riff size past the end", wavBytes(len(whole), good, data), ErrWAVTruncated},
		{"data cut", whole[:len(whole)-10], ErrWAVTruncated},
		{"chunk header cut", wavBytes(-1, good, data)[:len(whole)-len(data)+4], ErrWAVTruncated},
		{"giant chunk", wavBytes(-1, good, []byte("data\xff\xff\xff\x7f")), ErrWAVMalformed},
		{"chunk overruns riff", wavBytes(len(good)+4+8, good, data), ErrWAVMalformed},
		{"stray bytes", wavBytes(-1, good, data, []byte{0, 0, 0}), ErrWAVMalformed},
		{"odd chunk without pad", oddNoPad, ErrWAVMalformed},
		{"binary chunk id", wavBytes(-1, chunk("\x00\x01ab", nil), good, data), ErrWAVMalformed},
		{"no fmt", wavBytes(-1, data), ErrWAVMalformed},
		{"no data", wavBytes(-1, good), ErrWAVMalformed},
		{"fmt after data", wavBytes(-1, good, data, good), ErrWAVMalformed},
		{"two fmt", wavBytes(-1, good, good, data), ErrWAVMalformed},
		{"two data", wavBytes(-1, good, data, data), ErrWAVMalformed},
		{"short fmt", wavBytes(-1, chunk("fmt ", good[8:20]), data), ErrWAVMalformed},
		{"huge fmt", wavBytes(-1, chunk("fmt ", make([]byte, 1000)), data), ErrWAVMalformed},
		{"odd pcm16 data", wavBytes(-1, good, chunk("data", s[:5])), ErrWAVMalformed},
		{"inconsistent block align", wavBytes(-1, badAlign, data), ErrWAVMalformed},
		{"stereo", wavBytes(-1, fmtChunk(WAVPCM, 2, 8000, 16), data), ErrWAVFormat},
		{"16 kHz", wavBytes(-1, fmtChunk(WAVPCM, 1, 16000, 16), data), ErrWAVFormat},
		{"8-bit pcm", wavBytes(-1, fmtChunk(WAVPCM, 1, 8000, 8), data), ErrWAVFormat},
		{"16-bit ulaw", wavBytes(-1, fmtChunk(WAVULaw, 1, 8000, 16), data), ErrWAVFormat},
		{"float", wavBytes(-1, fmtChunk(3, 1, 8000, 32), data), ErrWAVFormat},
		{"gsm", wavBytes(-1, fmtChunk(0x31, 1, 8000, 0), data), ErrWAVFormat},
		{"extensible unknown guid", wavBytes(-1, badGUID, data), ErrWAVFormat},
		{"extensible too short", wavBytes(-1, fmtChunk(wavExtensible, 1, 8000, 16), data), ErrWAVMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeWAV(bytes.NewReader(tc.file), 0)
			if !errors.Is(err, tc.want) {
				t.Fatalf("error %v, want %v", err, tc.want)
			}
		})
	}
}

func TestDecodeWAVLimit(t *testing.T) {
	file := wavBytes(-1, fmtChunk(WAVPCM, 1, 8000, 16), chunk("data", pcmBytes(testTone())))
	if _, err := DecodeWAV(bytes.NewReader(file), int64(len(file))); err != nil {
		t.Fatalf("file at the limit: %v", err)
	}
	if _, err := DecodeWAV(bytes.NewReader(file), int64(len(file)-1)); !errors.Is(err, ErrWAVTooLarge) {
		t.Fatalf("file over the limit: %v", err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "big.wav")
	if err := os.WriteFile(path, append(file, make([]byte, 100)...), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadWAVFile(path, int64(len(file)+50)); !errors.Is(err, ErrWAVTooLarge) {
		t.Fatalf("file over the limit on disk: %v", err)
	}
	if _, err := ReadWAVFile(dir, 0); !errors.Is(err, ErrNotWAV) {
		t.Fatalf("directory: %v", err)
	}
	if _, err := ReadWAVFile(filepath.Join(dir, "missing.wav"), 0); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing file: %v", err)
	}
}

// TestDecodeSoxFiles reads files written by sox (testdata/wav, made by the
// commands in testdata/wav/README): the three encodings carry the same
// 1 kHz sine, the others are refused.
func TestDecodeSoxFiles(t *testing.T) {
	det := tone.NewDetector(tone.Config{Freq: 1000, Reject: []float64{500, 2000}})
	var pcm []int16
	for _, name := range []string{"sox_pcm16.wav", "sox_ulaw.wav", "sox_alaw.wav"} {
		c, err := ReadWAVFile(filepath.Join("testdata", "wav", name), 0)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if c.Len() != 2000 {
			t.Fatalf("%s: %d samples, want 2000 (0.25 s)", name, c.Len())
		}
		if r := det.Analyse(c.Samples()); !r.Present {
			t.Fatalf("%s: 1 kHz not found: %s", name, r.Reason)
		}
		if pcm == nil {
			pcm = c.Samples()
			continue
		}
		// G.711 keeps the sine within its quantisation step (≤ 1/16 of the
		// value at these levels, plus sox's dither).
		for i, v := range c.Samples() {
			if d := int(v) - int(pcm[i]); d*d > 700*700 {
				t.Fatalf("%s sample %d = %d, PCM has %d", name, i, v, pcm[i])
			}
		}
	}
	odd, err := ReadWAVFile(filepath.Join("testdata", "wav", "sox_ulaw_odd.wav"), 0)
	if err != nil || odd.Len() != 1 {
		t.Fatalf("one µ-law sample (odd data chunk, padded): %v, %d samples", err, odd.Len())
	}
	for name, want := range map[string]error{"sox_44k_stereo.wav": ErrWAVFormat, "sox_float.wav": ErrWAVFormat} {
		if _, err := ReadWAVFile(filepath.Join("testdata", "wav", name), 0); !errors.Is(err, want) {
			t.Errorf("%s: %v, want %v", name, err, want)
		}
	}
}

func TestWAVWriterGolden(t *testing.T) {
	var f memFile
	w, err := NewWAVWriter(&f)
	if err != nil {
		t.Fatal(err)
	}
	s := testTone()
	for i := 0; i < len(s); i += FrameSamples {
		w.Write(s[i : i+FrameSamples])
	}
	if w.Samples() != int64(len(s)) {
		t.Fatalf("Samples %d", w.Samples())
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "golden", "tone1000_100ms.wav")
	if *update {
		if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, f.b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(f.b, want) {
		t.Fatalf("writer output (%d bytes) differs from %s (%d bytes)", len(f.b), golden, len(want))
	}
	// The header is the canonical one, and the file reads back exactly.
	if string(f.b[:4]) != "RIFF" || binary.LittleEndian.Uint32(f.b[4:]) != uint32(36+2*len(s)) ||
		binary.LittleEndian.Uint32(f.b[40:]) != uint32(2*len(s)) || len(f.b) != 44+2*len(s) {
		t.Fatalf("header % x", f.b[:44])
	}
	c, err := DecodeWAV(bytes.NewReader(want), 0)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(c.Samples(), s) {
		t.Fatal("golden file does not read back as the tone")
	}
}

// TestWAVWriterCrash: a recording cut at any point reads back up to its
// last flush, whether the crash came before the data was written or
// between the data and the header update.
func TestWAVWriterCrash(t *testing.T) {
	var f memFile
	w, err := NewWAVWriter(&f, WithFlushEvery(2*FrameSamples))
	if err != nil {
		t.Fatal(err)
	}
	empty, err := DecodeWAV(bytes.NewReader(f.b), 0)
	if err != nil || empty.Len() != 0 {
		t.Fatalf("fresh file: %v, %d samples", err, empty.Len())
	}
	s := ramp(1, 5*FrameSamples)
	for i := 0; i < len(s); i += FrameSamples {
		w.Write(s[i : i+FrameSamples])
	}
	// 4 frames flushed automatically, the 5th buffered: a crash now leaves 4.
	crashed, err := DecodeWAV(bytes.NewReader(slices.Clone(f.b)), 0)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(crashed.Samples(), s[:4*FrameSamples]) {
		t.Fatalf("after a crash: %d samples, want %d", crashed.Len(), 4*FrameSamples)
	}
	// A crash between writing data and patching the header: the extra data
	// lies past the RIFF size and is ignored.
	torn := append(slices.Clone(f.b), pcmBytes(s[4*FrameSamples:])...)
	c, err := DecodeWAV(bytes.NewReader(torn), 0)
	if err != nil || c.Len() != 4*FrameSamples {
		t.Fatalf("torn write: %v, %d samples", err, c.Len())
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	all, err := DecodeWAV(bytes.NewReader(f.b), 0)
	if err != nil || !slices.Equal(all.Samples(), s) {
		t.Fatalf("after Flush: %v, %d samples", err, all.Len())
	}
}

// failAt fails every write at or after offset from.
type failAt struct {
	memFile
	from int64
}

var errDisk = errors.New("disk full")

func (f *failAt) WriteAt(p []byte, off int64) (int, error) {
	if off >= f.from {
		return 0, errDisk
	}
	return f.memFile.WriteAt(p, off)
}

func TestWAVWriterErrors(t *testing.T) {
	if _, err := NewWAVWriter(&failAt{from: 0}); !errors.Is(err, errDisk) {
		t.Fatalf("header write: %v", err)
	}
	f := &failAt{from: 44 + 2*FrameSamples}
	w, err := NewWAVWriter(f, WithFlushEvery(FrameSamples))
	if err != nil {
		t.Fatal(err)
	}
	w.Write(ramp(1, FrameSamples)) // flushed
	w.Write(ramp(1, FrameSamples)) // fails
	w.Write(ramp(1, FrameSamples)) // dropped
	if !errors.Is(w.Err(), errDisk) || !errors.Is(w.Flush(), errDisk) {
		t.Fatalf("Err %v", w.Err())
	}
	if err := w.Close(); !errors.Is(err, errDisk) {
		t.Fatalf("Close: %v", err)
	}
	if err := w.Close(); !errors.Is(err, ErrWriterClosed) {
		t.Fatalf("second Close: %v", err)
	}
	if err := w.Flush(); !errors.Is(err, ErrWriterClosed) {
		t.Fatalf("Flush after Close: %v", err)
	}
	c, err := DecodeWAV(bytes.NewReader(f.b), 0)
	if err != nil || c.Len() != FrameSamples {
		t.Fatalf("what was written before the error: %v, %d samples", err, c.Len())
	}

	var m memFile
	w2, _ := NewWAVWriter(&m)
	_ = w2.Close()
	w2.Write(ramp(1, 10))
	if !errors.Is(w2.Err(), ErrWriterClosed) {
		t.Fatalf("Write after Close: %v", w2.Err())
	}
}

func TestCreateWAVRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rec.wav")
	w, err := CreateWAV(path)
	if err != nil {
		t.Fatal(err)
	}
	s := testTone()
	w.Write(s)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	c, err := ReadWAVFile(path, 0)
	if err != nil || !slices.Equal(c.Samples(), s) {
		t.Fatalf("round trip: %v", err)
	}
	if _, err := CreateWAV(filepath.Join(t.TempDir(), "no", "such", "dir.wav")); err == nil {
		t.Fatal("CreateWAV in a missing directory succeeded")
	}
}

// FuzzDecodeWAV: arbitrary bytes never panic, memory stays bounded by the
// limit, and accepted audio is consistent with the input size.
func FuzzDecodeWAV(f *testing.F) {
	s := pcmBytes(testTone()[:40])
	f.Add(wavBytes(-1, fmtChunk(WAVPCM, 1, 8000, 16), chunk("data", s)))
	f.Add(wavBytes(-1, fmtChunk(WAVULaw, 1, 8000, 8), chunk("data", s[:7])))
	f.Add(wavBytes(-1, extensibleFmt(WAVALaw, 8), chunk("LIST", []byte("x")), chunk("data", s)))
	f.Add(wavBytes(0xFFFFFFF0, fmtChunk(WAVPCM, 1, 8000, 16), chunk("data", s)))
	f.Add([]byte("RIFF\x04\x00\x00\x00WAVE"))
	f.Fuzz(func(t *testing.T, b []byte) {
		const limit = 1 << 16
		c, err := DecodeWAV(bytes.NewReader(b), limit)
		if err != nil {
			if c != nil {
				t.Fatal("clip with an error")
			}
			for _, e := range []error{ErrNotWAV, ErrWAVFormat, ErrWAVMalformed, ErrWAVTruncated, ErrWAVTooLarge} {
				if errors.Is(err, e) {
					return
				}
			}
			t.Fatalf("error outside the sentinels: %v", err)
		}
		if c.Len() > len(b) || c.Len() > limit {
			t.Fatalf("%d samples from %d bytes", c.Len(), len(b))
		}
		_ = fmt.Sprint(c.Duration())
	})
}
