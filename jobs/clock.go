package jobs

import (
	"context"
	"sync"
	"time"
)

// The clocks an engine runs on (Clock is declared in ports.go).

// RealClock is the wall clock.
type RealClock struct{}

// Now returns time.Now().
func (RealClock) Now() time.Time { return time.Now() }

// Sleep waits d of real time.
func (RealClock) Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// ScaledClock runs Speed times faster than real time from Start: after one
// real second, Speed seconds have passed. The demo runs a round with it.
type ScaledClock struct {
	start time.Time
	real  time.Time
	speed float64
}

// NewScaledClock returns a clock reading start now and running speed times
// faster than real time.
func NewScaledClock(start time.Time, speed float64) *ScaledClock {
	if speed <= 0 {
		speed = 1
	}
	return &ScaledClock{start: start, real: time.Now(), speed: speed}
}

// Now returns the scaled time.
func (c *ScaledClock) Now() time.Time {
	return c.start.Add(time.Duration(float64(time.Since(c.real)) * c.speed))
}

// Sleep waits d of scaled time.
func (c *ScaledClock) Sleep(ctx context.Context, d time.Duration) error {
	return RealClock{}.Sleep(ctx, time.Duration(float64(d)/c.speed))
}

// ManualClock is a clock for tests: it stands still until Advance or Set
// moves it, and Sleep moves it forward by the time slept at once, so code
// that waits runs without delay and deterministically.
type ManualClock struct {
	mu  sync.Mutex
	now time.Time
}

// NewManualClock returns a clock reading t.
func NewManualClock(t time.Time) *ManualClock { return &ManualClock{now: t} }

// Now returns the clock's reading.
func (c *ManualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *ManualClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// Set moves the clock to t.
func (c *ManualClock) Set(t time.Time) {
	c.mu.Lock()
	c.now = t
	c.mu.Unlock()
}

// Sleep advances the clock by d and returns at once.
func (c *ManualClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if d > 0 {
		c.Advance(d)
	}
	return nil
}
