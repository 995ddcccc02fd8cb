package callback

import "errors"

var (
	// ErrConfig: the configuration does not pass Check.
	ErrConfig = errors.New("bad callback configuration")
	// ErrMalformed: a *37 / #37 code that does not parse (484).
	ErrMalformed = errors.New("malformed callback code")
	// ErrNoBusy: *37# from a caller who found no number busy (404).
	ErrNoBusy = errors.New("no busy number to call back")
	// ErrSelf: a callback from the caller's own number (403).
	ErrSelf = errors.New("callback from oneself")
	// ErrNotSubscriber: the code from a caller who is no subscriber, or for
	// a number that is none (403 / 404).
	ErrNotSubscriber = errors.New("not a subscriber")
	// ErrNoRequest: #37# without a request (404).
	ErrNoRequest = errors.New("no callback request")
)
