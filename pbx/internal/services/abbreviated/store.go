package abbreviated

import "context"

// Store keeps the personal codes.
type Store interface {
	// Get returns subscriber's number for code (ok false: none).
	Get(ctx context.Context, subscriber, code string) (number string, ok bool, err error)
	// Put sets subscriber's code to number, replacing what it was.
	Put(ctx context.Context, subscriber, code, number string) error
	// Delete removes subscriber's code (none is fine).
	Delete(ctx context.Context, subscriber, code string) error
}
