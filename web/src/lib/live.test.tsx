import { screen, waitFor } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { conversation, mockApi } from "../test/fakes";
import { liveWorkspace, renderInWorkspace } from "../test/workspace";
import { useConversationList, useThread } from "./live";

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
