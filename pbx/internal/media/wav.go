package media

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/zaf/g711"
)

// DefaultMaxWAVBytes is the size limit DecodeWAV and ReadWAVFile apply when
// given none: 16 MiB, over 17 minutes of 8 kHz PCM16 (34 of G.711).
const DefaultMaxWAVBytes = 16 << 20

// WAVFormat is the format tag of a WAV fmt chunk.
type WAVFormat uint16

// The formats the media server reads (8 kHz, mono).
const (
	WAVPCM  WAVFormat = 1 // linear PCM, 16-bit little-endian
	WAVALaw WAVFormat = 6 // G.711 A-law, 8-bit
	WAVULaw WAVFormat = 7 // G.711 µ-law, 8-bit

	wavExtensible WAVFormat = 0xFFFE // WAVE_FORMAT_EXTENSIBLE: the real tag is in the sub-format GUID
)

// String names the format.
func (f WAVFormat) String() string {
	switch f {
	case WAVPCM:
		return "PCM"
	case WAVALaw:
		return "A-law"
	case WAVULaw:
		return "µ-law"
	case 3:
		return "IEEE float"
	case 2, 0x11:
		return "ADPCM"
	case 0x31:
		return "GSM 6.10"
	case 0x55:
		return "MPEG layer 3"
	case wavExtensible:
		return "extensible"
	}
	return fmt.Sprintf("0x%04x", uint16(f))
}

// extensibleTail is the part of the sub-format GUID every
// WAVE_FORMAT_EXTENSIBLE tag shares (KSDATAFORMAT_SUBTYPE_*), after the
// 2-byte tag and 2 zero bytes.
const extensibleTail = "\x00\x00\x10\x00\x80\x00\x00\xAA\x00\x38\x9B\x71"

// ReadWAVFile reads a WAV file (see DecodeWAV), refusing a file larger than
// maxBytes (DefaultMaxWAVBytes when maxBytes <= 0) before reading it.
func ReadWAVFile(path string, maxBytes int64) (*Clip, error) {
	if maxBytes <= 0 {
		maxBytes = DefaultMaxWAVBytes
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read wav %s: %w", path, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("read wav %s: %w", path, err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("read wav %s: not a regular file: %w", path, ErrNotWAV)
	}
	if st.Size() > maxBytes {
		return nil, fmt.Errorf("read wav %s: %d bytes, limit %d: %w", path, st.Size(), maxBytes, ErrWAVTooLarge)
	}
	c, err := DecodeWAV(f, maxBytes)
	if err != nil {
		return nil, fmt.Errorf("read wav %s: %w", path, err)
	}
	return c, nil
}

// DecodeWAV reads a WAV stream strictly and returns its audio as 8 kHz PCM16.
//
// Accepted: a little-endian RIFF/WAVE file with exactly one fmt chunk before
// exactly one data chunk, the audio 8000 Hz mono and either 16-bit PCM
// (format 1), G.711 A-law (format 6) or µ-law (format 7), 8-bit; the same
// three as WAVE_FORMAT_EXTENSIBLE sub-formats. Other chunks (LIST, fact,
// cue …) are skipped; every chunk of odd size must be followed by its pad
// byte (RIFF); bytes after the end the RIFF header announces are ignored (a
// recording cut by a crash after its last header update). Refused, with an
// error naming the fault: another container (RIFX, RF64) or format, rate or
// channel count (ErrNotWAV, ErrWAVFormat); a chunk that overruns its
// parent, a missing pad byte, an invalid chunk ID, a missing, repeated or
// misplaced fmt or data chunk, header fields that contradict each other
// (ErrWAVMalformed); a stream that ends before its announced sizes
// (ErrWAVTruncated); a RIFF size above maxBytes (ErrWAVTooLarge,
// DefaultMaxWAVBytes when maxBytes <= 0). It never reads more than the
// announced RIFF size, so memory stays below maxBytes.
func DecodeWAV(r io.Reader, maxBytes int64) (*Clip, error) {
	if maxBytes <= 0 {
		maxBytes = DefaultMaxWAVBytes
	}
	var hdr [12]byte
	if n, err := io.ReadFull(r, hdr[:]); err != nil {
		if n >= 4 && string(hdr[:4]) == "RIFF" {
			return nil, fmt.Errorf("decode wav: %d-byte header: %w", n, ErrWAVTruncated)
		}
		return nil, fmt.Errorf("decode wav: %d bytes: %w", n, ErrNotWAV)
	}
	switch id := string(hdr[:4]); {
	case id == "RIFX" || id == "RF64":
		return nil, fmt.Errorf("decode wav: %s container: %w", id, ErrWAVFormat)
	case id != "RIFF" || string(hdr[8:12]) != "WAVE":
		return nil, fmt.Errorf("decode wav: %q/%q: %w", hdr[:4], hdr[8:12], ErrNotWAV)
	}
	riffSize := int64(binary.LittleEndian.Uint32(hdr[4:8]))
	if riffSize+8 > maxBytes {
		return nil, fmt.Errorf("decode wav: RIFF size %d, limit %d: %w", riffSize, maxBytes, ErrWAVTooLarge)
	}
	d := wavDecoder{r: r, remaining: riffSize - 4}
	if err := d.chunks(); err != nil {
		return nil, fmt.Errorf("decode wav: %w", err)
	}
	return NewClip(d.samples), nil
}

// wavDecoder walks the chunks of the RIFF payload.
type wavDecoder struct {
	r         io.Reader
	remaining int64 // bytes of the RIFF payload not yet read
	fmt       *wavFmt
	samples   []int16
	haveData  bool
}

type wavFmt struct {
	format     WAVFormat
	channels   uint16
	rate       uint32
	byteRate   uint32
	blockAlign uint16
	bits       uint16
}

func (d *wavDecoder) chunks() error {
	for d.remaining > 0 {
		if d.remaining < 8 {
			return fmt.Errorf("%d stray bytes at the end of the RIFF chunk: %w", d.remaining, ErrWAVMalformed)
		}
		var h [8]byte
		if n, err := io.ReadFull(d.r, h[:]); err != nil {
			return fmt.Errorf("chunk header: %d of 8 bytes: %w", n, ErrWAVTruncated)
		}
		d.remaining -= 8
		id, size := string(h[:4]), int64(binary.LittleEndian.Uint32(h[4:]))
		if !validFourCC(h[:4]) {
			return fmt.Errorf("chunk ID %q: %w", h[:4], ErrWAVMalformed)
		}
		switch {
		case size > d.remaining:
			return fmt.Errorf("chunk %q of %d bytes overruns the RIFF chunk (%d bytes left): %w", id, size, d.remaining, ErrWAVMalformed)
		case size%2 == 1 && size == d.remaining:
			return fmt.Errorf("chunk %q of odd size %d lacks its pad byte: %w", id, size, ErrWAVMalformed)
		}
		var err error
		switch id {
		case "fmt ":
			err = d.readFmt(size)
		case "data":
			err = d.readData(size)
		default:
			if n, cerr := io.CopyN(io.Discard, d.r, size); cerr != nil {
				err = fmt.Errorf("chunk %q: %d of %d bytes: %w", id, n, size, ErrWAVTruncated)
			}
		}
		if err != nil {
			return err
		}
		d.remaining -= size
		if size%2 == 1 {
			var pad [1]byte
			if _, err := io.ReadFull(d.r, pad[:]); err != nil {
				return fmt.Errorf("pad byte of chunk %q: %w", id, ErrWAVTruncated)
			}
			d.remaining--
		}
	}
	switch {
	case d.fmt == nil:
		return fmt.Errorf("no fmt chunk: %w", ErrWAVMalformed)
	case !d.haveData:
		return fmt.Errorf("no data chunk: %w", ErrWAVMalformed)
	}
	return nil
}

// validFourCC reports whether a chunk ID is four printable ASCII characters.
func validFourCC(id []byte) bool {
	for _, c := range id {
		if c < 0x20 || c > 0x7e {
			return false
		}
	}
	return true
}

// maxFmtChunk bounds the fmt chunk (40 bytes for WAVE_FORMAT_EXTENSIBLE).
const maxFmtChunk = 256

func (d *wavDecoder) readFmt(size int64) error {
	switch {
	case d.fmt != nil:
		return fmt.Errorf("second fmt chunk: %w", ErrWAVMalformed)
	case d.haveData:
		return fmt.Errorf("fmt chunk after the data chunk: %w", ErrWAVMalformed)
	case size < 16 || size > maxFmtChunk:
		return fmt.Errorf("fmt chunk of %d bytes: %w", size, ErrWAVMalformed)
	}
	b := make([]byte, size)
	if n, err := io.ReadFull(d.r, b); err != nil {
		return fmt.Errorf("fmt chunk: %d of %d bytes: %w", n, size, ErrWAVTruncated)
	}
	le := binary.LittleEndian
	f := wavFmt{
		format: WAVFormat(le.Uint16(b[0:])), channels: le.Uint16(b[2:]), rate: le.Uint32(b[4:]),
		byteRate: le.Uint32(b[8:]), blockAlign: le.Uint16(b[12:]), bits: le.Uint16(b[14:]),
	}
	if f.format == wavExtensible {
		// cbSize (2), valid bits (2), channel mask (4), sub-format GUID (16).
		if size < 40 || le.Uint16(b[16:]) < 22 {
			return fmt.Errorf("extensible fmt chunk of %d bytes: %w", size, ErrWAVMalformed)
		}
		guid := b[24:40]
		if le.Uint16(guid[2:]) != 0 || string(guid[4:]) != extensibleTail {
			return fmt.Errorf("extensible sub-format % x: %w", guid, ErrWAVFormat)
		}
		f.format = WAVFormat(le.Uint16(guid))
	}
	want := uint16(8)
	switch f.format {
	case WAVPCM:
		want = 16
	case WAVALaw, WAVULaw:
	default:
		return fmt.Errorf("format %s: want PCM, A-law or µ-law: %w", f.format, ErrWAVFormat)
	}
	switch {
	case f.channels != 1:
		return fmt.Errorf("%d channels: want mono: %w", f.channels, ErrWAVFormat)
	case f.rate != SampleRate:
		return fmt.Errorf("%d Hz: want %d: %w", f.rate, SampleRate, ErrWAVFormat)
	case f.bits != want:
		return fmt.Errorf("%s with %d bits per sample: want %d: %w", f.format, f.bits, want, ErrWAVFormat)
	case f.blockAlign != want/8 || f.byteRate != f.rate*uint32(f.blockAlign):
		return fmt.Errorf("block align %d, byte rate %d for %s mono %d Hz: %w", f.blockAlign, f.byteRate, f.format, f.rate, ErrWAVMalformed)
	}
	d.fmt = &f
	return nil
}

func (d *wavDecoder) readData(size int64) error {
	switch {
	case d.fmt == nil:
		return fmt.Errorf("data chunk before the fmt chunk: %w", ErrWAVMalformed)
	case d.haveData:
		return fmt.Errorf("second data chunk: %w", ErrWAVMalformed)
	case size%int64(d.fmt.blockAlign) != 0:
		return fmt.Errorf("data of %d bytes for %d-byte samples: %w", size, d.fmt.blockAlign, ErrWAVMalformed)
	}
	d.haveData = true
	// Read in pieces, so a size the stream does not back up costs no more
	// memory than the bytes that really arrive.
	var buf bytes.Buffer
	buf.Grow(int(min(size, 1<<20)))
	if n, err := io.CopyN(&buf, d.r, size); err != nil {
		if errors.Is(err, io.EOF) {
			err = ErrWAVTruncated
		}
		return fmt.Errorf("data chunk: %d of %d bytes: %w", n, size, err)
	}
	b := buf.Bytes()
	switch d.fmt.format {
	case WAVPCM:
		d.samples = make([]int16, len(b)/2)
		for i := range d.samples {
			d.samples[i] = int16(binary.LittleEndian.Uint16(b[2*i:]))
		}
	case WAVULaw:
		d.samples = make([]int16, len(b))
		for i, c := range b {
			d.samples[i] = g711.DecodeUlawFrame(c)
		}
	case WAVALaw:
		d.samples = make([]int16, len(b))
		for i, c := range b {
			d.samples[i] = g711.DecodeAlawFrame(c)
		}
	}
	return nil
}
