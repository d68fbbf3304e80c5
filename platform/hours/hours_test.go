package hours_test

import (
	"errors"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/platform/failure"
	"github.com/switchboardhq/switchboard/platform/hours"
	"github.com/switchboardhq/switchboard/platform/testapp"
	"github.com/switchboardhq/switchboard/tenants"
)

// office is Monday to Friday 09:00–12:30 and 13:30–17:00, Saturday 10:00–14:00.
var office = hours.Schedule{Enabled: true, Days: map[string][]hours.Interval{
	"mon": {{"09:00", "12:30"}, {"13:30", "17:00"}}, "tue": {{"09:00", "12:30"}, {"13:30", "17:00"}},
	"wed": {{"09:00", "12:30"}, {"13:30", "17:00"}}, "thu": {{"09:00", "12:30"}, {"13:30", "17:00"}},
	"fri": {{"09:00", "12:30"}, {"13:30", "17:00"}}, "sat": {{"10:00", "14:00"}},
}}

func TestOpenAndNextOpen(t *testing.T) {
	london, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Skipf("no time zone data: %v", err)
	}
	at := func(s string) time.Time {
		t.Helper()
		v, err := time.ParseInLocation("2006-01-02 15:04", s, london)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, tc := range []struct{ at, next string }{
		{"2026-12-07 10:00", "2026-12-07 10:00"}, // Monday, open
		{"2026-12-07 08:59", "2026-12-07 09:00"},
		{"2026-12-07 12:30", "2026-12-07 13:30"}, // lunch: closes at 12:30 sharp
		{"2026-12-07 17:00", "2026-12-08 09:00"},
		{"2026-12-11 18:00", "2026-12-12 10:00"}, // Friday evening: Saturday
		{"2026-12-12 14:00", "2026-12-14 09:00"}, // Saturday after closing: Monday
		{"2026-12-13 03:00", "2026-12-14 09:00"}, // Sunday
		// The night clocks go back (25 October 2026), and a week across it.
		{"2026-10-24 15:00", "2026-10-26 09:00"},
	} {
		next, ok := office.NextOpen(at(tc.at), london)
		if !ok || !next.Equal(at(tc.next)) {
			t.Errorf("NextOpen(%s) = %s, %v; want %s", tc.at, next.In(london), ok, tc.next)
		}
		if open := office.Open(at(tc.at), london); open != (tc.at == tc.next) {
			t.Errorf("Open(%s) = %v", tc.at, open)
		}
	}
	// A time zone far from UTC: 09:00 in Tokyo is midnight in UTC.
	tokyo, _ := time.LoadLocation("Asia/Tokyo")
	if !office.Open(time.Date(2026, 12, 7, 0, 30, 0, 0, time.UTC), tokyo) || office.Open(time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC), tokyo) {
		t.Error("the hours are not read in the workspace's time zone")
	}
	// Clock changes. Berlin goes from 02:00 to 03:00 on 29 March 2026 and from 03:00
	// back to 02:00 on 25 October; Santiago from 00:00 to 01:00 on 6 September.
	berlin, _ := time.LoadLocation("Europe/Berlin")
	santiago, _ := time.LoadLocation("America/Santiago")
	night := hours.Schedule{Enabled: true, Days: map[string][]hours.Interval{"sun": {{"02:30", "04:00"}}}}
	for _, tc := range []struct {
		s         hours.Schedule
		loc       *time.Location
		from      time.Time
		want      time.Time
		whyWanted string
	}{
		{night, berlin, time.Date(2026, 3, 28, 12, 0, 0, 0, time.UTC), time.Date(2026, 3, 29, 1, 0, 0, 0, time.UTC),
			"02:30 is skipped: open from the jump, 03:00 CEST"},
		{night, berlin, time.Date(2026, 10, 24, 12, 0, 0, 0, time.UTC), time.Date(2026, 10, 25, 0, 30, 0, 0, time.UTC),
			"02:30 comes twice: the first, 02:30 CEST"},
		{hours.Schedule{Enabled: true, Days: map[string][]hours.Interval{"sun": {{"00:00", "08:00"}}}}, santiago,
			time.Date(2026, 9, 5, 16, 0, 0, 0, time.UTC), time.Date(2026, 9, 6, 4, 0, 0, 0, time.UTC),
			"Sunday's midnight is skipped: open from the jump, 01:00 -03"},
	} {
		got, ok := tc.s.NextOpen(tc.from, tc.loc)
		if !ok || !got.Equal(tc.want) {
			t.Errorf("NextOpen(%s in %s) = %s, %v; want %s (%s)", tc.from, tc.loc, got.UTC(), ok, tc.want, tc.whyWanted)
		}
	}

	// Off, always open; on with no hours, never (Save refuses that).
	if !(hours.Schedule{}).Open(at("2026-12-13 03:00"), london) {
		t.Error("disabled hours are closed")
	}
	if _, ok := (hours.Schedule{Enabled: true}).NextOpen(at("2026-12-13 03:00"), london); ok {
		t.Error("hours with no interval open")
	}
	// Open till midnight, open from midnight: one stretch across the day's end.
	late := hours.Schedule{Enabled: true, Days: map[string][]hours.Interval{"mon": {{"20:00", "24:00"}}, "tue": {{"00:00", "02:00"}}}}
	if !late.Open(at("2026-12-07 23:59"), london) || !late.Open(at("2026-12-08 01:00"), london) || late.Open(at("2026-12-08 02:00"), london) {
		t.Error("hours across midnight")
	}
}

// TestSave: business hours are the workspace's own; a bad schedule is refused naming
// the field, and nothing of it is kept.
func TestSave(t *testing.T) {
	t.Parallel()
	for _, engine := range testapp.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			t.Parallel()
			ta := testapp.New(t, testapp.OnEngine(engine))
			ctx := ta.Ctx()
			sc := tenants.Scope(ta.App.DB, ta.NewWorkspace("Hours").Workspace.ID)
			other := tenants.Scope(ta.App.DB, ta.NewWorkspace("Elsewhere").Workspace.ID)
			if s, err := hours.Get(ctx, sc); err != nil || s.Enabled || len(s.Days) != 0 {
				t.Fatalf("before any is set: %+v, %v; want disabled", s, err)
			}
			if _, err := hours.Save(ctx, sc, office, time.Now()); err != nil {
				t.Fatal(err)
			}
			got, err := hours.Get(ctx, sc)
			if err != nil || !got.Enabled || len(got.Days["mon"]) != 2 || got.Days["sat"][0] != (hours.Interval{Open: "10:00", Close: "14:00"}) || len(got.Days["sun"]) != 0 {
				t.Fatalf("saved %+v, %v", got, err)
			}
			if s, err := hours.Get(ctx, other); err != nil || s.Enabled {
				t.Errorf("another workspace's hours: %+v, %v", s, err)
			}
			// Saved again: replaced.
			if _, err := hours.Save(ctx, sc, hours.Schedule{Enabled: false, Days: map[string][]hours.Interval{"sun": {{"10:00", "11:00"}}}}, time.Now()); err != nil {
				t.Fatal(err)
			}
			if got, _ := hours.Get(ctx, sc); got.Enabled || len(got.Days) != 1 {
				t.Errorf("saved again %+v", got)
			}
			for _, tc := range []struct {
				days  map[string][]hours.Interval
				field string
			}{
				{map[string][]hours.Interval{"monday": {{"09:00", "17:00"}}}, "days.monday"},
				{map[string][]hours.Interval{"mon": {{"9:00", "17:00"}}}, "days.mon[0].open"},
				{map[string][]hours.Interval{"mon": {{"+9:00", "17:00"}}}, "days.mon[0].open"},
				{map[string][]hours.Interval{"mon": {{"-0:30", "17:00"}}}, "days.mon[0].open"},
				{map[string][]hours.Interval{"mon": {{"09:00", "17:5 "}}}, "days.mon[0].close"},
				{map[string][]hours.Interval{"mon": {{"09:00", "24:30"}}}, "days.mon[0].close"},
				{map[string][]hours.Interval{"mon": {{"17:00", "09:00"}}}, "days.mon[0].close"},
				{map[string][]hours.Interval{"mon": {{"09:00", "13:00"}, {"12:00", "17:00"}}}, "days.mon[1].open"},
				{map[string][]hours.Interval{"mon": {{"24:00", "24:00"}}}, "days.mon[0].open"},
				{map[string][]hours.Interval{}, "days"},
			} {
				_, err := hours.Save(ctx, sc, hours.Schedule{Enabled: true, Days: tc.days}, time.Now())
				var fe *failure.Error
				if !errors.As(err, &fe) || fe.Fields[tc.field] == "" {
					t.Errorf("%v: %v, want %s named", tc.days, err, tc.field)
				}
			}
			if got, _ := hours.Get(ctx, sc); got.Enabled || len(got.Days) != 1 {
				t.Errorf("after refusals %+v, want the last saved", got)
			}
		})
	}
}

// TestAddOpen: a stretch of open time counts only the hours the team works, across
// lunch, evenings, weekends and a clock change; with the hours off, every hour counts.
func TestAddOpen(t *testing.T) {
	london, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Skipf("no time zone data: %v", err)
	}
	at := func(s string) time.Time {
		t.Helper()
		layout := "2006-01-02 15:04"
		if len(s) > len(layout) {
			layout += ":05"
		}
		v, err := time.ParseInLocation(layout, s, london)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, tc := range []struct {
		from string
		d    time.Duration
		want string
	}{
		{"2026-12-07 10:00", time.Hour, "2026-12-07 11:00"},           // Monday, within the morning
		{"2026-12-07 12:00", time.Hour, "2026-12-07 14:00"},           // across lunch
		{"2026-12-07 12:30", 0, "2026-12-07 13:30"},                   // at lunch: nothing yet, due when they are back
		{"2026-12-07 08:00", 30 * time.Minute, "2026-12-07 09:30"},    // before opening
		{"2026-12-11 16:00", 4 * time.Hour, "2026-12-12 13:00"},       // Friday late: Saturday
		{"2026-12-12 13:00", 2 * time.Hour, "2026-12-14 10:00"},       // Saturday: Monday
		{"2026-12-07 09:00", 5 * 7 * time.Hour, "2026-12-11 17:00"},   // a working week (7 h a weekday): Friday's close
		{"2026-10-23 16:00", 2 * time.Hour, "2026-10-24 11:00"},       // the Friday before the clocks go back
		{"2026-10-24 13:00", 3 * time.Hour, "2026-10-26 11:00"},       // the weekend they go back
		{"2026-12-13 03:00", 24 * time.Hour, "2026-12-17 12:00"},      // 24 h of open time from Sunday night: three days and three hours
		{"2026-12-07 16:59", time.Minute, "2026-12-07 17:00"},         // to the closing minute exactly
		{"2026-12-07 17:00", 90 * time.Second, "2026-12-08 09:01:30"}, // seconds count too
	} {
		got, ok := office.AddOpen(at(tc.from), tc.d, london)
		want := at(tc.want)
		if !ok || !got.Equal(want) {
			t.Errorf("AddOpen(%s, %v) = %s, %v; want %s", tc.from, tc.d, got.In(london), ok, want)
		}
	}
	// Hours off: plain time.
	if got, ok := (hours.Schedule{}).AddOpen(at("2026-12-12 23:00"), 3*time.Hour, london); !ok || !got.Equal(at("2026-12-13 02:00")) {
		t.Errorf("with the hours off: %s, %v", got.In(london), ok)
	}
	// Never open: no answer rather than a loop.
	never := hours.Schedule{Enabled: true, Days: map[string][]hours.Interval{}}
	if _, ok := never.AddOpen(at("2026-12-07 10:00"), time.Hour, london); ok {
		t.Error("AddOpen of hours that never open reported a time")
	}
	// Open around the clock on Monday (until 24:00) and from midnight on Tuesday.
	late := hours.Schedule{Enabled: true, Days: map[string][]hours.Interval{"mon": {{"20:00", "24:00"}}, "tue": {{"00:00", "02:00"}}}}
	if got, ok := late.AddOpen(at("2026-12-07 23:00"), 2*time.Hour, london); !ok || !got.Equal(at("2026-12-08 01:00")) {
		t.Errorf("across midnight: %s, %v", got.In(london), ok)
	}
}
