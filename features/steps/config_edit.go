package steps

import (
	"fmt"
	"strconv"
	"strings"

	"pbxlab/pbx/config"
)

// editSubscriber applies edit to the subscriber number of c. A number that
// comes from a range is taken out of it (the range is split) and becomes an
// explicit subscriber with the same password, so that per-subscriber
// settings such as redirect can be set.
func editSubscriber(c *config.Config, number string, edit func(*config.Subscriber)) error {
	for i := range c.ExplicitSubscribers {
		if c.ExplicitSubscribers[i].Number == number {
			edit(&c.ExplicitSubscribers[i])
			return nil
		}
	}
	n, err := strconv.ParseUint(number, 10, 64)
	if err != nil {
		return fmt.Errorf("edit subscriber %s: %w: not a number", number, ErrUsage)
	}
	for i, r := range c.SubscriberRanges {
		lo, errLo := strconv.ParseUint(r.From, 10, 64)
		hi, errHi := strconv.ParseUint(r.To, 10, 64)
		if errLo != nil || errHi != nil || len(r.From) != len(number) || n < lo || n > hi {
			continue
		}
		var parts []config.SubscriberRange
		if n > lo {
			parts = append(parts, config.SubscriberRange{From: r.From, To: pad(n-1, len(r.From)), Password: r.Password})
		}
		if n < hi {
			parts = append(parts, config.SubscriberRange{From: pad(n+1, len(r.From)), To: r.To, Password: r.Password})
		}
		ranges := append([]config.SubscriberRange{}, c.SubscriberRanges[:i]...)
		ranges = append(ranges, parts...)
		c.SubscriberRanges = append(ranges, c.SubscriberRanges[i+1:]...)
		sub := config.Subscriber{Number: number, Password: strings.ReplaceAll(r.Password, "{n}", number)}
		edit(&sub)
		c.ExplicitSubscribers = append(c.ExplicitSubscribers, sub)
		return nil
	}
	return fmt.Errorf("edit subscriber %s: %w", number, ErrNoSubscriber)
}

func pad(n uint64, width int) string {
	s := strconv.FormatUint(n, 10)
	if len(s) < width {
		s = strings.Repeat("0", width-len(s)) + s
	}
	return s
}
