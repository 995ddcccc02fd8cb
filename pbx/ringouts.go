package pbx

import (
	"context"
	"fmt"
	"sync"

	"pbxlab/pbx/internal/media"
	"pbxlab/pbx/internal/services/notification"
	"pbxlab/pbx/internal/services/switches"
	"pbxlab/pbx/internal/services/wakeup"
	wakeupsql "pbxlab/pbx/internal/services/wakeup/sqlstore"
)

// The services whose calls the PBX places itself (originate.go): wake-up
// alarms (wakeup.go) and group notifications (notification.go). Their
// timers run on the PBX's clock from Run until shutdown.
type ringOuts struct {
	wakeup *wakeup.Service
	notify *notification.Service
	sw     *switches.Set

	mu   sync.Mutex
	live map[string]*liveNotice // remote notifications being spoken, by name
}

// initRingOuts builds the wake-up and notification services.
func (s *Server) initRingOuts(ctx context.Context, sw *switches.Set) error {
	cfg := s.cfg.Services
	s.ringOuts.sw = sw
	s.ringOuts.live = map[string]*liveNotice{}
	log := s.log.With("component", "services")
	st, err := wakeupsql.New(ctx, s.db)
	if err != nil {
		return fmt.Errorf("services.wakeup: %w", err)
	}
	if s.ringOuts.wakeup, err = wakeup.New(cfg.Wakeup, st, wakeup.WithClock(s.clock),
		wakeup.WithLogger(log.With("service", wakeup.Name)), wakeup.WithRinger(s.ringWakeup)); err != nil {
		return fmt.Errorf("services.wakeup: %w", err)
	}
	if s.ringOuts.notify, err = notification.New(cfg.Notification, notification.WithClock(s.clock),
		notification.WithLogger(log.With("service", notification.Name)), notification.WithRinger(s.ringNotification)); err != nil {
		return fmt.Errorf("services.notification: %w", err)
	}
	return nil
}

// runRingOuts runs the services' timers until ctx ends. A media ID the
// media server does not have is logged (its calls would end unplayed).
func (s *Server) runRingOuts(ctx context.Context) {
	if s.media.Enabled() {
		if w := s.ringOuts.wakeup; w != nil && w.Config().Media != "" && !s.media.HasMedia(w.Config().Media) {
			s.log.Error("unknown media ID", "field", "services.wakeup.media", "media", w.Config().Media)
		}
		if n := s.ringOuts.notify; n != nil {
			for i, nt := range n.Config().Notifications {
				if nt.Media != "" && !s.media.HasMedia(nt.Media) {
					s.log.Error("unknown media ID", "field", fmt.Sprintf("services.notification.notifications[%d].media", i), "media", nt.Media)
				}
			}
		}
	}
	if s.ringOuts.wakeup != nil {
		go func() {
			if err := s.ringOuts.wakeup.Run(ctx); err != nil {
				s.log.Warn("wake-up alarms", "error", err)
			}
		}()
	}
	if s.ringOuts.notify != nil {
		go func() { _ = s.ringOuts.notify.Run(ctx) }()
	}
}

// ringWakeup is the wake-up service's Ringer.
func (s *Server) ringWakeup(ctx context.Context, sub string, done func(bool)) {
	cfg := s.ringOuts.wakeup.Config()
	r := ringOut{Number: sub, Caller: wakeup.Name, Ring: cfg.Ring, Tone: media.ToneKind(cfg.Tone), ToneFor: cfg.ToneFor}
	if cfg.Media != "" {
		r.Media = []string{cfg.Media}
	}
	s.ringAndPlay(ctx, r, func(res ringResult) { done(res.Answered) })
}

// WakeupAlarms reports the armed wake-up alarms: subscriber -> hhmm.
func (s *Server) WakeupAlarms() map[string]string {
	if s.ringOuts.wakeup == nil {
		return nil
	}
	return s.ringOuts.wakeup.Pending()
}

// NotificationReceipt is how a group notification's latest delivery
// stands for one receiver.
type NotificationReceipt = notification.Receipt

// NotificationStatus reports the latest delivery of the named group
// notification: receiver -> receipt (nil: never delivered).
func (s *Server) NotificationStatus(name string) map[string]NotificationReceipt {
	if s.ringOuts.notify == nil {
		return nil
	}
	return s.ringOuts.notify.Status(name)
}

// WakeupNow rings number's armed wake-up alarm at once, as if its time had
// come (tries and retries as configured); false when none is armed.
func (s *Server) WakeupNow(number string) bool {
	return s.ringOuts.wakeup != nil && s.ringOuts.wakeup.RingNow(number)
}

// DeliverNotification delivers the named local group notification at
// once, as if its time had come; false when there is none (a remote one
// is started by its deliverer's access code).
func (s *Server) DeliverNotification(name string) bool {
	if s.ringOuts.notify == nil {
		return false
	}
	for _, n := range s.ringOuts.notify.Config().Notifications {
		if n.Name == name && n.Mode != notification.Remote {
			return s.ringOuts.notify.Deliver(name)
		}
	}
	return false
}
