// Test doubles for the network: the API answered from a table, and WebSockets the test
// drives by hand.
import { vi } from "vitest";
import type { Conversation, Message } from "../api/types";

export interface Call {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: unknown;
}

type Answer = { status?: number; body?: unknown } | ((c: Call) => { status?: number; body?: unknown });

/** Stubs fetch: routes are "GET /api/v1/me" (query ignored) or "GET /api/v1/x?y=z" (exact). */
export function mockApi(routes: Record<string, Answer>) {
  const calls: Call[] = [];
  const fetchMock = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = String(input);
    const method = (init?.method ?? "GET").toUpperCase();
    const headers = (init?.headers ?? {}) as Record<string, string>;
    // A form (an upload) is kept as sent, for the test to read its parts.
    const body = init?.body instanceof FormData ? init.body : init?.body ? JSON.parse(String(init.body)) : undefined;
    const call = { method, url, headers, body };
    calls.push(call);
    const answer = routes[`${method} ${url}`] ?? routes[`${method} ${url.split("?")[0]}`];
    if (!answer) {
      return new Response(JSON.stringify({ error: { code: "not_found", message: `no mock for ${method} ${url}` } }), { status: 404 });
    }
    const a = typeof answer === "function" ? answer(call) : answer;
    const status = a.status ?? 200;
    return new Response(status === 204 ? null : JSON.stringify(a.body ?? {}), { status, headers: { "Content-Type": "application/json" } });
  });
  vi.stubGlobal("fetch", fetchMock);
  return { calls, fetchMock };
}

export class FakeSocket {
  static all: FakeSocket[] = [];
  onmessage: ((e: MessageEvent) => void) | null = null;
  onclose: ((e: CloseEvent) => void) | null = null;
  onerror: ((e: Event) => void) | null = null;
  closed = false;
  constructor(public url: string) {
    FakeSocket.all.push(this);
  }
  send() {}
  close() {
    this.closed = true;
  }
  /** A frame from the server. */
  emit(v: unknown) {
    this.onmessage?.({ data: JSON.stringify(v) } as MessageEvent);
  }
  /** The server ends the connection. */
  drop() {
    this.closed = true;
    this.onclose?.({ code: 1013 } as CloseEvent);
  }
  static last(): FakeSocket {
    return FakeSocket.all[FakeSocket.all.length - 1];
  }
}

export function installFakeSocket() {
  FakeSocket.all = [];
  vi.stubGlobal("WebSocket", FakeSocket as unknown as typeof WebSocket);
}

const T0 = "2030-01-02T10:00:00Z";

export function conversation(p: Partial<Conversation> = {}): Conversation {
  return {
    id: "c1",
    connection_id: "conn1",
    contact_id: "ct1",
    kind: "chat",
    title: "Maya Patel",
    pill: "sent",
    state: "active",
    state_changed_at: T0,
    unread: false,
    archived: false,
    last_message_preview: "Hello",
    last_activity_at: T0,
    created_at: T0,
    assignee_id: null,
    team_id: null,
    last_inbound_at: T0,
    contact: { id: "ct1", name: "Maya Patel", phone: "+15550100101" },
    channel: { id: "conn1", kind: "whatsapp", engine: "cloud", display_name: "Demo WhatsApp", address: "+15550000001", status: "active", window_24h: true },
    templates_only: false,
    recipients: 1,
    first_response_due_at: null,
    first_response_at: null,
    next_response_due_at: null,
    resolution_due_at: null,
    first_response_missed: false,
    next_response_missed: false,
    resolution_missed: false,
    sla_breaches: [],
    tags: [],
    labels: [],
    ...p,
  };
}

export function message(p: Partial<Message> = {}): Message {
  return {
    id: "m1",
    conversation_id: "c1",
    connection_id: "conn1",
    direction: "out",
    type: "text",
    body: "Hi there",
    content: {},
    status: "sent",
    attempt: 1,
    credits: 1,
    starred: false,
    created_at: T0,
    updated_at: T0,
    ...p,
  };
}
