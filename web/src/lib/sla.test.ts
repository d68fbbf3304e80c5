import { describe, expect, it } from "vitest";
import { conversation } from "../test/fakes";
import { countdown, DUE_SOON_MS, duration, hasTargets, nextDue, runningClocks, slaBreaches, targetStandings } from "./sla";

const at = (hhmm: string) => `2030-01-02T${hhmm}:00Z`;
const ms = (hhmm: string) => Date.parse(at(hhmm));

/** A ticket opened at 10:00 (the fake's time), with the clocks p sets. */
const ticket = (p: Parameters<typeof conversation>[0] = {}) => conversation({ kind: "ticket", state: "active", ...p });

describe("slaBreaches", () => {
  it("names nothing while every target running is still ahead, or for a ticket without targets", () => {
    expect(slaBreaches(ticket(), ms("23:00"))).toEqual([]);
    const t = ticket({ first_response_due_at: at("10:30"), resolution_due_at: at("18:00") });
    expect(slaBreaches(t, ms("10:30"))).toEqual([]);
  });

  it("misses the first response once its target passes unanswered, or when the answer came after it", () => {
    const t = ticket({ first_response_due_at: at("10:30") });
    expect(slaBreaches(t, ms("10:31"))).toEqual(["first_response"]);
    // Answered in time: met for good, however late it is now.
    expect(slaBreaches({ ...t, first_response_at: at("10:29") }, ms("23:00"))).toEqual([]);
    // Answered late: missed, even after.
    expect(slaBreaches({ ...t, first_response_at: at("10:45") }, ms("10:50"))).toEqual(["first_response"]);
  });

  it("misses the next response on a late answer before (next_response_missed), or a message waiting past its target", () => {
    const t = ticket({ first_response_due_at: at("10:30"), first_response_at: at("10:10"), next_response_due_at: at("11:00") });
    expect(slaBreaches(t, ms("10:59"))).toEqual([]);
    expect(slaBreaches(t, ms("11:01"))).toEqual(["next_response"]);
    // An earlier message was answered late; none waits now.
    expect(slaBreaches({ ...t, next_response_due_at: null, next_response_missed: true }, ms("10:20"))).toEqual(["next_response"]);
    // An earlier miss stays one while a new clock runs in time.
    expect(slaBreaches({ ...t, next_response_missed: true }, ms("10:20"))).toEqual(["next_response"]);
  });

  it("misses the resolution once its target passes while open, in the order the server names them", () => {
    const t = ticket({ first_response_due_at: at("10:30"), next_response_missed: true, resolution_due_at: at("12:00") });
    expect(slaBreaches(t, ms("12:01"))).toEqual(["first_response", "next_response", "resolution"]);
  });

  it("stops the clocks of a resolved or abandoned ticket when it closed", () => {
    const t = ticket({ first_response_due_at: at("10:30"), resolution_due_at: at("12:00"), next_response_due_at: at("11:00") });
    // Resolved at 10:20, unanswered: nothing missed, however late it is now.
    expect(slaBreaches({ ...t, state: "resolved", state_changed_at: at("10:20") }, ms("23:00"))).toEqual([]);
    // Abandoned at 11:30: the first response and the waiting message missed, the resolution not.
    expect(slaBreaches({ ...t, state: "abandoned", state_changed_at: at("11:30") }, ms("23:00"))).toEqual(["first_response", "next_response"]);
    // Resolved after the resolution target.
    expect(slaBreaches({ ...t, first_response_at: at("10:05"), state: "resolved", state_changed_at: at("12:30") }, ms("12:31"))).toEqual([
      "next_response",
      "resolution",
    ]);
    // Queued, active and pending all run.
    for (const state of ["queued", "pending"] as const) {
      expect(slaBreaches({ ...t, state, state_changed_at: at("10:20") }, ms("12:01"))).toEqual(["first_response", "next_response", "resolution"]);
    }
  });

  it("does not count an answer written after the ticket closed, and keeps what earlier cycles missed", () => {
    const t = ticket({ first_response_due_at: at("10:30"), state: "abandoned", state_changed_at: at("10:10") });
    // Closed at 10:10, in time; answered at 11:00, after it closed: not missed.
    expect(slaBreaches({ ...t, first_response_at: at("11:00") }, ms("23:00"))).toEqual([]);
    // Reopened with no clock running: the earlier cycle's misses stay.
    const reopened = ticket({ first_response_missed: true, resolution_missed: true });
    expect(slaBreaches(reopened, ms("10:01"))).toEqual(["first_response", "resolution"]);
    expect(hasTargets(reopened)).toBe(true);
    expect(targetStandings(reopened, ms("10:01")).map((s) => [s.target, s.state])).toEqual([
      ["first_response", "missed"],
      ["resolution", "missed"],
    ]);
  });

  it("compares instants, not the way they are written", () => {
    const t = ticket({ first_response_due_at: "2030-01-02T10:30:00.000Z", first_response_at: "2030-01-02T11:29:00+01:00" });
    expect(slaBreaches(t, ms("12:00"))).toEqual([]);
  });
});

describe("nextDue", () => {
  it("is the running target that falls due first", () => {
    const t = ticket({ first_response_due_at: at("10:30"), resolution_due_at: at("12:00") });
    expect(nextDue(t, ms("10:10"))).toEqual({ target: "first_response", at: ms("10:30") });
    // Answered: the resolution is next.
    expect(nextDue({ ...t, first_response_at: at("10:15") }, ms("10:20"))).toEqual({ target: "resolution", at: ms("12:00") });
    // A customer's message waits for the next response, sooner than the resolution.
    const waiting = { ...t, first_response_at: at("10:15"), next_response_due_at: at("11:15") };
    expect(nextDue(waiting, ms("10:50"))).toEqual({ target: "next_response", at: ms("11:15") });
    expect(runningClocks(waiting, ms("10:50")).map((d) => d.target)).toEqual(["next_response", "resolution"]);
  });

  it("skips a target already missed, and keeps one falling due this very moment", () => {
    const t = ticket({ first_response_due_at: at("10:30"), resolution_due_at: at("12:00") });
    expect(nextDue(t, ms("10:30"))).toEqual({ target: "first_response", at: ms("10:30") });
    expect(nextDue(t, ms("10:31"))).toEqual({ target: "resolution", at: ms("12:00") });
    expect(nextDue(t, ms("12:01"))).toBeNull();
  });

  it("counts the reply now waiting though an earlier one was late", () => {
    const t = ticket({ first_response_at: at("10:05"), next_response_due_at: at("11:00"), next_response_missed: true });
    expect(nextDue(t, ms("10:50"))).toEqual({ target: "next_response", at: ms("11:00") });
  });

  it("is none for a resolved or abandoned ticket, nor one without targets", () => {
    const t = ticket({ first_response_due_at: at("10:30"), resolution_due_at: at("12:00") });
    expect(nextDue({ ...t, state: "resolved" }, ms("10:10"))).toBeNull();
    expect(nextDue({ ...t, state: "abandoned" }, ms("10:10"))).toBeNull();
    expect(nextDue(ticket(), ms("10:10"))).toBeNull();
  });
});

describe("countdown", () => {
  const MIN = 60 * 1000;
  it("says the time left in the largest whole unit, rounded down", () => {
    expect(countdown(12 * MIN + 59 * 1000)).toBe("in 12 min");
    expect(countdown(59 * MIN)).toBe("in 59 min");
    expect(countdown(60 * MIN)).toBe("in 1 h");
    expect(countdown(3 * 60 * MIN + 40 * MIN)).toBe("in 3 h");
    expect(countdown(47 * 60 * MIN)).toBe("in 47 h");
    expect(countdown(2 * 24 * 60 * MIN)).toBe("in 2 days");
    expect(countdown(30 * 24 * 60 * MIN)).toBe("in 30 days");
  });

  it("says how long past a target that passed, and a minute for less than one", () => {
    expect(countdown(-5 * MIN)).toBe("overdue 5 min");
    expect(countdown(-3 * 60 * MIN)).toBe("overdue 3 h");
    expect(countdown(20 * 1000)).toBe("in 1 min");
    expect(countdown(0)).toBe("in 1 min");
    expect(countdown(-1000)).toBe("overdue 1 min");
    expect(duration(90 * MIN)).toBe("1 h");
    expect(DUE_SOON_MS).toBe(15 * MIN);
  });
});

describe("targetStandings", () => {
  it("lists the targets a ticket carries: met, missed or running, with their due times", () => {
    const t = ticket({ first_response_due_at: at("10:30"), first_response_at: at("10:12"), next_response_due_at: at("11:00"), resolution_due_at: at("12:00") });
    expect(targetStandings(t, ms("11:05"))).toEqual([
      { target: "first_response", due: at("10:30"), state: "met" },
      { target: "next_response", due: at("11:00"), state: "missed", missedEarlier: false },
      { target: "resolution", due: at("12:00"), state: "running" },
    ]);
    expect(hasTargets(t)).toBe(true);
    expect(targetStandings(ticket(), ms("11:05"))).toEqual([]);
    expect(hasTargets(ticket())).toBe(false);
  });

  it("keeps an earlier late reply when no message waits, and says it beside one that does", () => {
    const t = ticket({ first_response_at: at("10:05"), next_response_missed: true });
    expect(targetStandings(t, ms("11:00"))).toEqual([{ target: "next_response", due: null, state: "missed" }]);
    expect(hasTargets(t)).toBe(true);
    expect(targetStandings({ ...t, next_response_due_at: at("11:30") }, ms("11:00"))).toEqual([
      { target: "next_response", due: at("11:30"), state: "running", missedEarlier: true },
    ]);
  });

  it("reads a closed ticket's clocks when it closed: resolved in time is met, closed before a target is stopped", () => {
    const t = ticket({ first_response_due_at: at("10:30"), resolution_due_at: at("12:00") });
    expect(targetStandings({ ...t, state: "resolved", state_changed_at: at("11:00") }, ms("23:00"))).toEqual([
      { target: "first_response", due: at("10:30"), state: "missed" },
      { target: "resolution", due: at("12:00"), state: "met" },
    ]);
    expect(targetStandings({ ...t, state: "abandoned", state_changed_at: at("10:20") }, ms("23:00"))).toEqual([
      { target: "first_response", due: at("10:30"), state: "stopped" },
      { target: "resolution", due: at("12:00"), state: "stopped" },
    ]);
    expect(targetStandings({ ...t, state: "resolved", state_changed_at: at("12:30") }, ms("23:00"))[1]).toEqual({ target: "resolution", due: at("12:00"), state: "missed" });
  });
});
