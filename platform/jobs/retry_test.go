package jobs_test

import (
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/platform/jobs"
)

// A retry's delay reaches a whole second, never less than asked, at most a second more.
func TestWholeSecond(t *testing.T) {
	base := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		now  time.Duration // after base
		d    time.Duration
		want time.Duration
	}{
		{700 * time.Millisecond, 300 * time.Millisecond, 300 * time.Millisecond}, // lands on a whole second
		{700 * time.Millisecond, 400 * time.Millisecond, 1300 * time.Millisecond},
		{0, time.Second, time.Second},
		{0, time.Millisecond, time.Second},
		{999 * time.Millisecond, 2 * time.Millisecond, 1001 * time.Millisecond},
		{250 * time.Millisecond, 90 * time.Second, 90*time.Second + 750*time.Millisecond},
	} {
		now := base.Add(c.now)
		got := jobs.WholeSecond(now.Add(c.d)).Sub(now)
		if got != c.want {
			t.Errorf("at +%s, %s: got %s, want %s", c.now, c.d, got, c.want)
		}
		if at := now.Add(got); at.Nanosecond() != 0 || got < c.d || got >= c.d+time.Second {
			t.Errorf("at +%s, %s: %s ends at %s", c.now, c.d, got, at.Format(time.StampMilli))
		}
	}
}
