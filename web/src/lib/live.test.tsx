import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { conversation, mockApi } from "../test/fakes";
import { liveWorkspace, renderInWorkspace } from "../test/workspace";
import { reloadLimit, useConversationList, useThread } from "./live";

afterEach(() => vi.unstubAllGlobals());

const base = "/api/v1/workspaces/demo/conversations";


function List() {
  const list = useConversationList({ kind: "chat" });
  return (
    <ul aria-label="list">
      {list.items.map((c) => (
        <li key={c.id}>{c.title}</li>
      ))}
    </ul>
  );
}

function Pane({ id }: { id: string }) {
  const t = useThread(id);
  return <p>{t.conversation ? t.conversation.title : t.error instanceof Error ? t.error.message : "…"}</p>;
}

describe("a conversation deleted by someone else", () => {
  it("leaves the list and the open thread says so", async () => {
    mockApi({
      [`GET ${base}`]: { body: { items: [conversation({ id: "c1", title: "Queue A" }), conversation({ id: "c2", title: "Queue B" })], next_cursor: "" } },
      [`GET ${base}/c1`]: { body: conversation({ id: "c1", title: "Queue A" }) },
      [`GET ${base}/c1/messages`]: { body: { items: [], next_cursor: "" } },
    });
    const { w, send } = liveWorkspace();
    renderInWorkspace(
      <>
        <List />
        <Pane id="c1" />
      </>,
      w,
    );
    await screen.findByText("Queue B");
    await waitFor(() => expect(screen.getAllByText("Queue A")).toHaveLength(2));
    send({ type: "conversation.deleted", conversation_id: "c1", conversation_kind: "chat", data: { id: "c1" } });
    await screen.findByText("This conversation was deleted.");
    expect(screen.queryByText("Queue A")).toBeNull();
    expect(screen.getByText("Queue B")).toBeTruthy();
  });
});

describe("a list filtered by a tag", () => {
  function Tagged() {
    const list = useConversationList({ kind: "chat", tag: "vip" });
    return (
      <>
        <p>{list.items.length} listed</p>
        {list.more ? (
          <button type="button" onClick={() => void list.loadMore()}>
            Load more
          </button>
        ) : null}
      </>
    );
  }

  it("keeps the pages loaded when an event reloads it", async () => {
    const all = Array.from({ length: 70 }, (_, i) =>
      conversation({ id: `c${String(i).padStart(2, "0")}`, title: `Chat ${i}`, last_activity_at: new Date(Date.UTC(2030, 0, 2, 0, 70 - i)).toISOString(), tags: ["vip"] }),
    );
    const { calls } = mockApi({
      [`GET ${base}`]: (c) => {
        const q = new URL(c.url, "http://x").searchParams;
        const from = q.get("cursor") ? Number(q.get("cursor")) : 0;
        const to = Math.min(all.length, from + Number(q.get("limit")), 60);
        return { body: { items: all.slice(from, to), next_cursor: to < 60 ? String(to) : "" } };
      },
    });
    const { w, send } = liveWorkspace();
    renderInWorkspace(<Tagged />, w);
    await screen.findByText("50 listed");
    await userEvent.click(screen.getByRole("button", { name: "Load more" }));
    await screen.findByText("60 listed");

    // The event cannot say whether the conversation still carries the tag: the list is asked again.
    const { tags: _, ...change } = { ...all[5], last_activity_at: "2030-01-03T00:00:00Z" };
    send({ type: "conversation.updated", conversation_id: change.id, conversation_kind: "chat", data: change });
    await waitFor(() => expect(calls.filter((c) => c.method === "GET")).toHaveLength(3));
    expect(new URL(calls[2].url, "http://x").searchParams.get("limit")).toBe("60");
    await waitFor(() => expect(screen.getByText("60 listed")).toBeTruthy());
    expect(screen.queryByRole("button", { name: "Load more" })).toBeNull();
  });

  it("asks for no more than the server lists at once", () => {
    expect(reloadLimit(0)).toBe(50);
    expect(reloadLimit(120)).toBe(120);
    expect(reloadLimit(500)).toBe(200);
  });
});
