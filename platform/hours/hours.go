// Package hours keeps a workspace's business hours: the weekly times its team works,
// in the workspace's time zone. Outside them a message written waits for the next
// opening (unless it is urgent), so customers are not written to at night.
package hours

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"time"

	"github.com/uptrace/bun"

	"github.com/switchboardhq/switchboard/platform/failure"
	"github.com/switchboardhq/switchboard/platform/storage"
	"github.com/switchboardhq/switchboard/tenants"
)

// Days are the keys of a week's schedule, Monday first.
var Days = []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}

// dayKey is the key of a weekday.
var dayKey = map[time.Weekday]string{
	time.Monday: "mon", time.Tuesday: "tue", time.Wednesday: "wed", time.Thursday: "thu",
	time.Friday: "fri", time.Saturday: "sat", time.Sunday: "sun",
}

// Interval is a stretch of a day the team works: from Open to Close, "HH:MM" on the
// 24-hour clock; Close may be "24:00" (until midnight).
type Interval struct {
	Open  string `json:"open" doc:"HH:MM"`
	Close string `json:"close" doc:"HH:MM, after open; 24:00 is midnight"`
}

// Schedule is a workspace's business hours. Disabled (the default), every hour is
// open.
type Schedule struct {
	bun.BaseModel `bun:"table:business_hours,alias:bh"`
	tenants.Owned

	Enabled bool `bun:"enabled,notnull" json:"enabled"`
	// Days are the open intervals of each weekday (Days), in order; a day not listed,
	// or with none, is closed.
	Days      map[string][]Interval `bun:"days,type:json,notnull" json:"days"`
	UpdatedAt time.Time             `bun:"updated_at,notnull" json:"-"`
}

// maxIntervals bounds one day's intervals.
const maxIntervals = 4

// Get is the workspace's business hours: disabled, with no days, when none were set.
func Get(ctx context.Context, sc tenants.Scoped) (Schedule, error) {
	var s Schedule
	err := sc.Select(&s).Limit(1).Scan(ctx)
	if storage.IsNotFound(err) {
		return Schedule{Days: map[string][]Interval{}}, nil
	}
	if s.Days == nil {
		s.Days = map[string][]Interval{}
	}
	return s, err
}

// Save checks and stores the workspace's business hours; failures name the field
// (days.mon[0].open).
func Save(ctx context.Context, sc tenants.Scoped, s Schedule, now time.Time) (Schedule, error) {
	if err := s.validate(); err != nil {
		return s, err
	}
	days := make(map[string][]Interval, len(s.Days))
	for d, in := range s.Days {
		if len(in) > 0 {
			days[d] = in
		}
	}
	s.Days, s.UpdatedAt = days, now.UTC()
	_, err := sc.Insert(&s).On("CONFLICT (workspace_id) DO UPDATE").
		Set("enabled = EXCLUDED.enabled, days = EXCLUDED.days, updated_at = EXCLUDED.updated_at").Exec(ctx)
	return s, err
}

func (s Schedule) validate() error {
	f := failure.Fields{}
	open := 0
	for d, in := range s.Days {
		if !slices.Contains(Days, d) {
			f.Add("days."+d, "is not a day (mon, tue, wed, thu, fri, sat, sun)")
			continue
		}
		f.Check(len(in) > maxIntervals, "days."+d, fmt.Sprintf("must have at most %d intervals", maxIntervals))
		end := -1
		for i, iv := range in {
			field := fmt.Sprintf("days.%s[%d]", d, i)
			from, ok := minuteOf(iv.Open)
			if !ok || from >= 24*60 {
				f.Add(field+".open", "must be a time from 00:00 to 23:59")
				continue
			}
			to, ok := minuteOf(iv.Close)
			switch {
			case !ok:
				f.Add(field+".close", "must be a time from 00:01 to 24:00")
			case to <= from:
				f.Add(field+".close", "must be after open")
			case from < end:
				f.Add(field+".open", "must not be before the previous interval closes")
			default:
				end = to
				open++
			}
		}
	}
	f.Check(s.Enabled && open == 0 && len(f) == 0, "days", "must have an open interval on some day when business hours are on")
	return f.Err()
}

// clock is a time of day as Interval writes it: two digits, a colon, two digits.
var clock = regexp.MustCompile(`^([01][0-9]|2[0-4]):([0-5][0-9])$`)

// minuteOf reads "HH:MM" as minutes after midnight (24:00 is 1440).
func minuteOf(hhmm string) (int, bool) {
	m := clock.FindStringSubmatch(hhmm)
	if m == nil {
		return 0, false
	}
	h, _ := strconv.Atoi(m[1])
	mm, _ := strconv.Atoi(m[2])
	if h == 24 && mm != 0 {
		return 0, false
	}
	return h*60 + mm, true
}

// Open reports whether at is within the business hours, in loc.
func (s Schedule) Open(at time.Time, loc *time.Location) bool {
	if !s.Enabled {
		return true
	}
	local := at.In(loc)
	minute := local.Hour()*60 + local.Minute()
	for _, iv := range s.Days[dayKey[local.Weekday()]] {
		from, _ := minuteOf(iv.Open)
		to, _ := minuteOf(iv.Close)
		if minute >= from && minute < to {
			return true
		}
	}
	return false
}

// NextOpen is the first time at or after at that the business hours are open, in
// loc: at itself when they are open then. ok is false when they never open.
func (s Schedule) NextOpen(at time.Time, loc *time.Location) (time.Time, bool) {
	if s.Open(at, loc) {
		return at, true
	}
	local := at.In(loc)
	// Eight days: today's later intervals, and each day of the week after.
	for day := 0; day <= 7; day++ {
		date := local.AddDate(0, 0, day)
		for _, iv := range s.Days[dayKey[date.Weekday()]] {
			from, _ := minuteOf(iv.Open)
			for _, t := range instants(date.Year(), date.Month(), date.Day(), from, loc) {
				if t.After(at) && s.Open(t, loc) {
					return t, true
				}
			}
		}
	}
	return time.Time{}, false
}

// instants are the moments a day's wall-clock time names in loc, earliest first:
// one as a rule; two in the hour clocks go back through (02:30 comes twice); and for
// a time clocks skip (02:30 on the night they go forward, or midnight in zones that
// change then), the moment the clocks jump, when the day reaches that time. Go's
// time.Date picks either side of a gap or of a repeat, depending on the zone.
func instants(year int, month time.Month, day, minute int, loc *time.Location) []time.Time {
	t := time.Date(year, month, day, minute/60, minute%60, 0, 0, loc)
	// Wall clocks compared as such, on UTC's calendar.
	want := time.Date(year, month, day, minute/60, minute%60, 0, 0, time.UTC)
	wall := func(t time.Time) time.Time {
		return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), 0, 0, time.UTC)
	}
	switch got := wall(t); {
	case got.Before(want):
		// In a gap, t before it: the jump is where t's zone period ends.
		_, end := t.ZoneBounds()
		return []time.Time{end}
	case got.After(want):
		// In a gap, t after it: the jump is where t's zone period starts.
		start, _ := t.ZoneBounds()
		return []time.Time{start}
	}
	if earlier := t.Add(-time.Hour); wall(earlier).Equal(want) {
		return []time.Time{earlier, t}
	}
	if later := t.Add(time.Hour); wall(later).Equal(want) {
		return []time.Time{t, later}
	}
	return []time.Time{t}
}

// AddOpen is the moment d of open time after start, in loc: start+d when business
// hours are off. A response target of four working hours set on Friday at 16:00
// falls on Monday at 12:00 in an office open 9 to 17. ok is false when they never
// open.
func (s Schedule) AddOpen(start time.Time, d time.Duration, loc *time.Location) (time.Time, bool) {
	if !s.Enabled {
		return start.Add(d), true
	}
	t := start
	// Each round crosses one open interval; a week has at most 28 of them, so this
	// bounds a target to years of open time.
	for range 10000 {
		var ok bool
		if t, ok = s.NextOpen(t, loc); !ok {
			return time.Time{}, false
		}
		end := s.closes(t, loc)
		if span := end.Sub(t); span >= d {
			return t.Add(d), true
		} else {
			d -= span
		}
		t = end
	}
	return time.Time{}, false
}

// closes is when the open interval at is in ends: the first moment after at that
// the interval's closing time names (tomorrow's midnight for 24:00).
func (s Schedule) closes(at time.Time, loc *time.Location) time.Time {
	local := at.In(loc)
	minute := local.Hour()*60 + local.Minute()
	for _, iv := range s.Days[dayKey[local.Weekday()]] {
		from, _ := minuteOf(iv.Open)
		to, _ := minuteOf(iv.Close)
		if minute < from || minute >= to {
			continue
		}
		day := local
		if to == 24*60 {
			day, to = local.AddDate(0, 0, 1), 0
		}
		for _, t := range instants(day.Year(), day.Month(), day.Day(), to, loc) {
			if t.After(at) {
				return t
			}
		}
	}
	// Not in an interval after all (a clock change's edge): move on a minute.
	return at.Add(time.Minute)
}
