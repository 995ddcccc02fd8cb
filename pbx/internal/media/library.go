package media

import (
	"embed"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
)

// The default prompt set, made by scripts/gen-prompts.sh (espeak-ng + sox,
// 8 kHz µ-law WAV). Embedded, read-only.
//
//go:embed prompts/*.wav
var promptFiles embed.FS

// Media IDs of the built-in prompts. Every Library has them; a configured
// media ID of the same name replaces one (that is how an operator records
// their own vacant-number announcement).
const (
	PromptVacantNumber      = "vacant-number"      // the dialled number does not exist
	PromptNotRegistered     = "not-registered"     // the subscriber is not registered / unavailable
	PromptNumberBusy        = "number-busy"        // the called number is busy
	PromptCallBarred        = "call-barred"        // the call is not allowed
	PromptServiceSuspended  = "service-suspended"  // the caller or the callee is a suspended subscriber
	PromptPleaseHold        = "please-hold"        // hold (the music on hold fallback announcement)
	PromptVoicemailGreeting = "voicemail-greeting" // "please leave a message after the tone"
	PromptYouHave           = "you-have"           // "you have" … "new messages"
	PromptNo                = "no"                 // "no" (new messages)
	PromptNewMessage        = "new-message"
	PromptNewMessages       = "new-messages"
	PromptInvalidOption     = "invalid-option" // IVR: the digit matches no option
	PromptGoodbye           = "goodbye"
	// PromptDigitPrefix + "0" … "9" are the digits, spoken.
	PromptDigitPrefix = "digit-"
)

// BuiltinPromptIDs returns the media IDs of the embedded prompts, sorted.
func BuiltinPromptIDs() []string {
	ids := []string{
		PromptVacantNumber, PromptNotRegistered, PromptNumberBusy, PromptCallBarred, PromptPleaseHold,
		PromptVoicemailGreeting, PromptYouHave, PromptNo, PromptNewMessage, PromptNewMessages,
		PromptInvalidOption, PromptGoodbye, PromptServiceSuspended,
	}
	for d := range 10 {
		ids = append(ids, PromptDigitPrefix+strconv.Itoa(d))
	}
	slices.Sort(ids)
	return ids
}

// LibraryConfig is the media.files section: media ID -> WAV file.
//
// The layout is one folder and an explicit map (not "<id>.wav" by
// convention), so a media ID names its file in the configuration and a
// stray file in the folder is never picked up:
//
//	media:
//	  files:
//	    dir: /var/lib/pbxlab/media
//	    ids:
//	      "12": welcome.wav
//	      vacant-number: our-vacant.wav   # replaces the built-in prompt
//	    moh: "30"                          # music on hold; default: the built-in tune
type LibraryConfig struct {
	// Dir is the folder of the files. Required when IDs is not empty.
	Dir string `yaml:"dir"`
	// IDs maps a media ID to a file name relative to Dir: a local path
	// (filepath.IsLocal: no "..", not absolute), resolved inside Dir
	// (symbolic links may not leave it).
	IDs map[string]string `yaml:"ids"`
	// MaxFileBytes refuses larger files (DefaultMaxWAVBytes when 0).
	MaxFileBytes int64 `yaml:"max_file_bytes"`
	// MOH is the media ID played as music on hold; "" plays the built-in
	// synthesized tune (MusicOnHoldTune).
	MOH string `yaml:"moh"`
}

// LibraryOption configures a Library.
type LibraryOption func(*libraryOptions)

type libraryOptions struct {
	log *slog.Logger
}

// WithLibraryLogger sets the logger (default: discard).
func WithLibraryLogger(l *slog.Logger) LibraryOption {
	return func(o *libraryOptions) { o.log = l }
}

// Library holds every media file of the configuration, decoded and checked
// at start, and the built-in prompts. It is immutable and safe for
// concurrent use.
type Library struct {
	clips map[string]*Clip
	moh   *Clip
}

// NewLibrary loads the built-in prompts and every file of cfg. Each file
// must be a WAV DecodeWAV accepts; every problem is reported at once, each
// error naming the media ID and the file (errors.Join of "load media ID %q
// (file %s): …", wrapping os.ErrNotExist, ErrWAVFormat, … as the case may
// be).
func NewLibrary(cfg LibraryConfig, opts ...LibraryOption) (*Library, error) {
	o := libraryOptions{log: slog.New(slog.DiscardHandler)}
	for _, opt := range opts {
		opt(&o)
	}
	l := &Library{clips: make(map[string]*Clip, len(cfg.IDs)+len(BuiltinPromptIDs()))}
	if err := l.loadBuiltins(); err != nil {
		return nil, err
	}
	if err := l.loadConfigured(cfg); err != nil {
		return nil, err
	}
	switch {
	case cfg.MOH == "":
		l.moh = RenderTune(MusicOnHoldTune(), 0.25)
	case l.clips[cfg.MOH] == nil:
		return nil, fmt.Errorf("load media library: music on hold %q: %w", cfg.MOH, ErrMediaID)
	default:
		l.moh = l.clips[cfg.MOH]
	}
	o.log.Info("media library loaded", "dir", cfg.Dir, "configured", len(cfg.IDs), "builtin", len(BuiltinPromptIDs()), "moh", cfg.MOH)
	return l, nil
}

func (l *Library) loadBuiltins() error {
	for _, id := range BuiltinPromptIDs() {
		f, err := promptFiles.Open("prompts/" + id + ".wav")
		if err != nil {
			return fmt.Errorf("load built-in prompt %q: %w", id, err)
		}
		c, err := DecodeWAV(f, 0)
		_ = f.Close()
		if err != nil {
			return fmt.Errorf("load built-in prompt %q: %w", id, err)
		}
		l.clips[id] = c
	}
	return nil
}

func (l *Library) loadConfigured(cfg LibraryConfig) error {
	if len(cfg.IDs) == 0 {
		return nil
	}
	if cfg.Dir == "" {
		return fmt.Errorf("load media library: %d media IDs and no dir: %w", len(cfg.IDs), ErrLibraryConfig)
	}
	root, err := os.OpenRoot(cfg.Dir)
	if err != nil {
		return fmt.Errorf("load media library %s: %w", cfg.Dir, err)
	}
	defer root.Close()
	var errs []error
	for _, id := range slices.Sorted(maps.Keys(cfg.IDs)) {
		name := cfg.IDs[id]
		c, err := loadFile(root, id, name, cfg.MaxFileBytes)
		if err != nil {
			errs = append(errs, fmt.Errorf("load media ID %q (file %s): %w", id, filepath.Join(cfg.Dir, name), err))
			continue
		}
		l.clips[id] = c
	}
	return errors.Join(errs...)
}

func loadFile(root *os.Root, id, name string, maxBytes int64) (*Clip, error) {
	switch {
	case id == "":
		return nil, fmt.Errorf("empty media ID: %w", ErrLibraryConfig)
	case !filepath.IsLocal(name):
		return nil, fmt.Errorf("file name must be local to the media dir: %w", ErrLibraryConfig)
	}
	if maxBytes <= 0 {
		maxBytes = DefaultMaxWAVBytes
	}
	f, err := root.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	switch {
	case err != nil:
		return nil, err
	case !st.Mode().IsRegular():
		return nil, fmt.Errorf("not a regular file: %w", ErrNotWAV)
	case st.Size() > maxBytes:
		return nil, fmt.Errorf("%d bytes, limit %d: %w", st.Size(), maxBytes, ErrWAVTooLarge)
	}
	return DecodeWAV(io.LimitReader(f, maxBytes), maxBytes)
}

// Has reports whether id is a media ID of the library.
func (l *Library) Has(id string) bool { return l.clips[id] != nil }

// IDs returns every media ID, built-in and configured, sorted.
func (l *Library) IDs() []string { return slices.Sorted(maps.Keys(l.clips)) }

// Clip returns the audio of a media ID.
func (l *Library) Clip(id string) (*Clip, error) {
	c := l.clips[id]
	if c == nil {
		return nil, fmt.Errorf("media ID %q: %w", id, ErrMediaID)
	}
	return c, nil
}

// Source returns a new Source playing a media ID once.
func (l *Library) Source(id string) (Source, error) {
	c, err := l.Clip(id)
	if err != nil {
		return nil, err
	}
	return c.Source(), nil
}

// MusicOnHold returns a new endless Source of the music on hold: the
// media ID of LibraryConfig.MOH, or the built-in tune.
func (l *Library) MusicOnHold() Source { return Looping(l.moh.Source()) }

// NewMessages returns the announcement "you have N new message(s)": "no new
// messages" for 0, the digits spoken one by one for N >= 10 ("one two new
// messages"), a negative N counts as 0.
func (l *Library) NewMessages(n int) (Source, error) {
	ids := []string{PromptYouHave}
	switch {
	case n <= 0:
		ids = append(ids, PromptNo, PromptNewMessages)
	default:
		for _, d := range strconv.Itoa(n) {
			ids = append(ids, PromptDigitPrefix+string(d))
		}
		if n == 1 {
			ids = append(ids, PromptNewMessage)
		} else {
			ids = append(ids, PromptNewMessages)
		}
	}
	return l.Sequence(ids...)
}

// Sequence returns a Source playing media IDs one after the other.
func (l *Library) Sequence(ids ...string) (Source, error) {
	srcs := make([]Source, 0, len(ids))
	for _, id := range ids {
		s, err := l.Source(id)
		if err != nil {
			return nil, err
		}
		srcs = append(srcs, s)
	}
	return Sequence(srcs...), nil
}
