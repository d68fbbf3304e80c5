import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { FakeSocket } from "../test/fakes";
import { Realtime, realtimeURL } from "./realtime";

function setup(onRefused = vi.fn()) {
  FakeSocket.all = [];
  const rt = new Realtime("ws://x/api/v1/workspaces/demo/realtime", {
    socket: (u) => new FakeSocket(u) as unknown as WebSocket,
    backoff: [100, 1000],
    onRefused,
  });
  const events: unknown[] = [];
  const resync = vi.fn();
  const statuses: string[] = [];
  rt.subscribe((e) => events.push(e));
  rt.onResync(resync);
  rt.onStatus((s) => statuses.push(s));
  rt.start();
  return { rt, events, resync, statuses, onRefused };
}

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe("Realtime", () => {
  it("builds the workspace's socket URL from the page's", () => {
    expect(realtimeURL("demo", { protocol: "https:", host: "sb.example.com" } as Location)).toBe("wss://sb.example.com/api/v1/workspaces/demo/realtime");
    expect(realtimeURL("a b", { protocol: "http:", host: "127.0.0.1:8080" } as Location)).toBe("ws://127.0.0.1:8080/api/v1/workspaces/a%20b/realtime");
  });

  it("resyncs on ready and passes events on in order", () => {
    const { events, resync, statuses } = setup();
    const ws = FakeSocket.last();
    ws.emit({ type: "ready" });
    expect(resync).toHaveBeenCalledOnce();
    expect(statuses).toEqual(["live"]);
    ws.emit({ type: "message.updated", conversation_id: "c1", data: { id: "m1", status: "delivered" } });
    ws.emit({ type: "message.updated", conversation_id: "c1", data: { id: "m1", status: "read" } });
    expect(events.map((e) => (e as { data: { status: string } }).data.status)).toEqual(["delivered", "read"]);
  });

  it("tells the workspace when the caller's access changed, not the views' event listeners", () => {
    const { rt, events, resync } = setup();
    const changed = vi.fn();
    rt.onAccessChanged(changed);
    const ws = FakeSocket.last();
    ws.emit({ type: "ready" });
    ws.emit({ type: "access.changed" });
    expect(changed).toHaveBeenCalledOnce();
    expect(events).toEqual([]);
    rt.resync();
    expect(resync).toHaveBeenCalledTimes(2);
  });

  it("reconnects after a drop, with a growing delay, and resyncs when ready again", () => {
    const { resync, statuses } = setup();
    FakeSocket.last().emit({ type: "ready" });
    FakeSocket.last().drop();
    expect(statuses.at(-1)).toBe("reconnecting");
    expect(FakeSocket.all.length).toBe(1);
    vi.advanceTimersByTime(130);
    expect(FakeSocket.all.length).toBe(2);
    // Refused before ready: the next try waits longer.
    FakeSocket.last().drop();
    vi.advanceTimersByTime(130);
    expect(FakeSocket.all.length).toBe(2);
    vi.advanceTimersByTime(1300);
    expect(FakeSocket.all.length).toBe(3);
    FakeSocket.last().emit({ type: "ready" });
    expect(resync).toHaveBeenCalledTimes(2);
    expect(statuses.at(-1)).toBe("live");
  });

  it("reports a connection refused before it was ready", () => {
    const onRefused = vi.fn();
    setup(onRefused);
    FakeSocket.last().drop();
    expect(onRefused).toHaveBeenCalledOnce();
  });

  it("stays closed once stopped", () => {
    const { rt } = setup();
    const ws = FakeSocket.last();
    rt.stop();
    expect(ws.closed).toBe(true);
    vi.advanceTimersByTime(60_000);
    expect(FakeSocket.all.length).toBe(1);
  });
});
