package voicemail

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"time"

	"pbxlab/pbx/internal/media"
)

// A message's file is "<mailbox>/msg-<UTC start>-<random>-<caller>.wav":
// the name alone says what a recording the PBX was stopped in the middle
// of was, so the next start files it (recoverOrphans) — the WAVWriter
// keeps the file's header current at every flush, so what was flushed is
// a valid WAV.

const fileTime = "20060102T150405.000000000"

// maxCallerInName bounds the caller part of a file name.
const maxCallerInName = 64

// newMessageFile names a new message of mailbox from caller, started at.
func (s *Service) newMessageFile(mailbox, caller string, at time.Time) string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return mailbox + "/" + messagePrefix + at.UTC().Format(fileTime) + "-" + hex.EncodeToString(b) + "-" + nameSafe(caller) + ".wav"
}

// nameSafe keeps the characters of a caller number a file name can hold
// (digits, letters, + * # .), at most maxCallerInName.
func nameSafe(caller string) string {
	out := strings.Map(func(r rune) rune {
		switch {
		case r >= '0' && r <= '9', r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r == '+', r == '*', r == '#', r == '.':
			return r
		}
		return -1
	}, caller)
	if len(out) > maxCallerInName {
		out = out[:maxCallerInName]
	}
	return out
}

// parseMessageFile reads the start and the caller back from a message
// file's name.
func parseMessageFile(name string) (time.Time, string, bool) {
	rest, ok := strings.CutPrefix(name, messagePrefix)
	if !ok {
		return time.Time{}, "", false
	}
	if rest, ok = strings.CutSuffix(rest, ".wav"); !ok {
		return time.Time{}, "", false
	}
	parts := strings.SplitN(rest, "-", 3)
	if len(parts) != 3 {
		return time.Time{}, "", false
	}
	at, err := time.Parse(fileTime, parts[0])
	if err != nil {
		return time.Time{}, "", false
	}
	return at, parts[2], true
}

// recoverOrphans runs at start: a message WAV no row refers to (the PBX
// stopped while it was recorded) is filed as a new message when it holds
// audio, else removed; an unfinished greeting (.part) is removed.
func (s *Service) recoverOrphans(ctx context.Context) {
	known, err := s.store.Files(ctx)
	if err != nil {
		s.log.Warn("voicemail: recovery", "error", err)
		return
	}
	boxes, _ := os.ReadDir(s.cfg.Dir)
	for _, b := range boxes {
		if !b.IsDir() {
			continue
		}
		files, _ := os.ReadDir(filepath.Join(s.cfg.Dir, b.Name()))
		for _, f := range files {
			rel := b.Name() + "/" + f.Name()
			path := filepath.Join(s.cfg.Dir, b.Name(), f.Name())
			switch {
			case strings.HasSuffix(f.Name(), partSuffix):
				s.log.Info("voicemail: removing an unfinished greeting", "file", rel)
				_ = os.Remove(path)
			case strings.HasPrefix(f.Name(), messagePrefix) && !known[rel]:
				s.recover(ctx, b.Name(), f.Name(), path)
			}
		}
	}
}

// recover files one interrupted recording, or removes it.
func (s *Service) recover(ctx context.Context, mailbox, name, path string) {
	at, caller, ok := parseMessageFile(name)
	clip, err := media.ReadWAVFile(path, 0)
	if !ok || err != nil || clip.Len() == 0 {
		s.log.Info("voicemail: removing an unusable recording", "file", mailbox+"/"+name, "error", err)
		_ = os.Remove(path)
		return
	}
	m := Message{Mailbox: mailbox, Caller: caller, At: at, Duration: clip.Duration(), File: mailbox + "/" + name}
	if _, err := s.store.Add(ctx, m); err != nil {
		s.log.Warn("voicemail: recovery", "file", m.File, "error", err)
		return
	}
	s.log.Info("voicemail: recovered a message the PBX was stopped while recording", "mailbox", mailbox, "caller", caller, "duration", m.Duration)
}
