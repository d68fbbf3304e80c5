// The workspace's realtime events over its WebSocket, kept open: after any close the
// client reconnects with a growing delay, and every {"type":"ready"} (the first and
// each after a reconnect) tells the views to reload what they show, since events sent
// while disconnected are lost.
import type { ConversationChange, Message } from "./types";

export type RealtimeEvent =
  | { type: "message.created" | "message.updated"; conversation_id: string; conversation_kind: string; data: Message }
  | {
      type: "conversation.updated";
      conversation_id: string;
      conversation_kind: string;
      data: ConversationChange;
      /** This change handed the conversation over, from former_assignee_id (absent: the queue). */
      reassigned?: boolean;
      former_assignee_id?: string;
    }
  | { type: "conversation.deleted"; conversation_id: string; conversation_kind: string; data: { id: string } }
  /** A member is writing in the conversation (said again every few seconds while they write). */
  | { type: "conversation.typing"; conversation_id: string; conversation_kind: string; data: { user_id: string; name: string } }
  | { type: "counts.changed"; conversation_id?: string; conversation_kind: string; data: { kind: string } }
  | { type: "wallet.low"; conversation_id?: undefined; conversation_kind?: undefined; data: { balance: number } }
  | { type: "wallet.auto_recharge_paused"; conversation_id?: undefined; conversation_kind?: undefined; data: { reason: string } };

export type RealtimeStatus = "connecting" | "live" | "reconnecting" | "closed";

type Listener = (ev: RealtimeEvent) => void;
type Resync = () => void;
type StatusListener = (s: RealtimeStatus) => void;

export interface RealtimeOptions {
  /** Builds the socket (tests pass a fake). */
  socket?: (url: string) => WebSocket;
  /** Delays in ms before the 1st, 2nd, … reconnect; the last repeats. */
  backoff?: number[];
  /** Called when a connection closes before it was ever ready: the session may be gone. */
  onRefused?: () => void;
}

const DEFAULT_BACKOFF = [500, 1000, 2000, 4000, 8000, 15000];

export function realtimeURL(workspace: string, loc: Location = window.location): string {
  const scheme = loc.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${loc.host}/api/v1/workspaces/${encodeURIComponent(workspace)}/realtime`;
}

export class Realtime {
  private ws: WebSocket | null = null;
  private attempt = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private stopped = false;
  private listeners = new Set<Listener>();
  private resyncs = new Set<Resync>();
  private accessChanges = new Set<Resync>();
  private statusListeners = new Set<StatusListener>();
  status: RealtimeStatus = "connecting";

  constructor(
    private readonly url: string,
    private readonly opts: RealtimeOptions = {},
  ) {}

  start(): this {
    this.stopped = false;
    this.connect();
    return this;
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const ws = this.ws;
    this.ws = null;
    if (ws) {
      ws.onclose = null;
      ws.onmessage = null;
      ws.onerror = null;
      ws.close(1000);
    }
    this.setStatus("closed");
  }

  /** Events, in the order the server sent them. */
  subscribe(fn: Listener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Called on every ready: reload what you show. */
  onResync(fn: Resync): () => void {
    this.resyncs.add(fn);
    return () => this.resyncs.delete(fn);
  }

  /** Tells every view to reload what it shows, as a ready does. */
  resync(): void {
    this.resyncs.forEach((fn) => fn());
  }

  /** Called when the server says what the caller may see changed. */
  onAccessChanged(fn: Resync): () => void {
    this.accessChanges.add(fn);
    return () => this.accessChanges.delete(fn);
  }

  onStatus(fn: StatusListener): () => void {
    this.statusListeners.add(fn);
    return () => this.statusListeners.delete(fn);
  }

  private setStatus(s: RealtimeStatus) {
    if (this.status === s) return;
    this.status = s;
    this.statusListeners.forEach((fn) => fn(s));
  }

  private connect() {
    if (this.stopped) return;
    let ready = false;
    const ws = (this.opts.socket ?? ((u) => new WebSocket(u)))(this.url);
    this.ws = ws;
    ws.onmessage = (e: MessageEvent) => {
      let ev: { type?: string };
      try {
        ev = JSON.parse(String(e.data));
      } catch {
        return;
      }
      if (ev.type === "access.changed") {
        // What the caller may see changed while connected (their role, its access
        // rule): the workspace reloads, then the views.
        this.accessChanges.forEach((fn) => fn());
        return;
      }
      if (ev.type === "ready") {
        ready = true;
        this.attempt = 0;
        this.setStatus("live");
        // Every ready, the first included: a view may have loaded before the
        // subscription was in place and missed what changed in between.
        this.resyncs.forEach((fn) => fn());
        return;
      }
      this.listeners.forEach((fn) => fn(ev as RealtimeEvent));
    };
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.ws = null;
      if (this.stopped) return;
      if (!ready) this.opts.onRefused?.();
      this.setStatus("reconnecting");
      const backoff = this.opts.backoff ?? DEFAULT_BACKOFF;
      const base = backoff[Math.min(this.attempt, backoff.length - 1)];
      this.attempt++;
      // Jitter, so that the browsers of a workspace do not all come back at once.
      const delay = base + Math.floor(Math.random() * (base / 4));
      this.timer = setTimeout(() => this.connect(), delay);
    };
    ws.onerror = () => {
      // onclose follows and reconnects.
    };
  }
}
