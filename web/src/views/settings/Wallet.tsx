// The wallet: balance, low-balance threshold, the ledger and top-ups.
import { useState } from "react";
import { call } from "../../api/client";
import type { LedgerEntry } from "../../api/types";
import { Empty, ErrorText, fieldError, Loading } from "../../components/Feedback";
import { Field } from "../../components/Field";
import { Table } from "../../components/Table";
import { credits, dateTime, money } from "../../lib/format";
import { useAction } from "../../lib/useAction";
import { useAsync } from "../../lib/useAsync";
import { useWorkspace } from "../../workspace";

const KINDS = ["top_up", "charge", "refund", "grant", "adjustment", "expiry"] as const;
type Kind = (typeof KINDS)[number];

function Ledger() {
  const w = useWorkspace();
  const [kind, setKind] = useState<Kind | "">("");
  const [rows, setRows] = useState<LedgerEntry[]>([]);
  const [cursor, setCursor] = useState("");
  const page = useAsync(
    async (signal) => {
      const r = await call("get", "/api/v1/workspaces/{workspace}/wallet/ledger", {
        path: { workspace: w.slug },
        query: { kind: kind || undefined, limit: 50 },
        signal,
      });
      setRows(r.items);
      setCursor(r.next_cursor);
      return r;
    },
    [w.slug, kind],
  );
  const [moreError, setMoreError] = useState<unknown>(null);
  const more = async () => {
    try {
      const r = await call("get", "/api/v1/workspaces/{workspace}/wallet/ledger", {
        path: { workspace: w.slug },
        query: { kind: kind || undefined, limit: 50, cursor },
      });
      setRows((x) => [...x, ...r.items]);
      setCursor(r.next_cursor);
    } catch (err) {
      setMoreError(err);
    }
  };
  const csv = `/api/v1/workspaces/${encodeURIComponent(w.slug)}/wallet/ledger?format=csv${kind ? `&kind=${kind}` : ""}`;
  return (
    <section className="card-section" aria-labelledby="ledger-title">
      <div className="page-head">
        <h2 id="ledger-title">Ledger</h2>
        <div className="row row-end">
          <label className="sr-only" htmlFor="ledger-kind">
            Kind
          </label>
          <select id="ledger-kind" value={kind} onChange={(e) => setKind(e.target.value as Kind | "")}>
            <option value="">All entries</option>
            {KINDS.map((k) => (
              <option key={k} value={k}>
                {k.replace("_", " ")}
              </option>
            ))}
          </select>
          <a className="btn" href={csv} download>
            Download CSV
          </a>
        </div>
      </div>
      {page.loading && rows.length === 0 ? <Loading /> : null}
      <ErrorText error={page.error ?? moreError} />
      {!page.loading && rows.length === 0 && !page.error ? <Empty title="No entries" /> : null}
      {rows.length ? (
        <Table caption="Ledger entries, newest first" columns={["When", "Kind", { label: "Amount", num: true }, { label: "Balance", num: true }, "Note"]}>
            {rows.map((e) => (
              <tr key={e.id}>
                <td>{dateTime(e.created_at)}</td>
                <td>{e.kind.replace("_", " ")}</td>
                <td className={`num ${e.amount < 0 ? "neg" : "pos"}`}>{e.amount > 0 ? `+${e.amount}` : e.amount}</td>
                <td className="num">{e.balance_after}</td>
                <td>{e.note || e.reference}</td>
              </tr>
            ))}
        </Table>
      ) : null}
      {cursor ? (
        <button type="button" className="btn" onClick={() => void more()}>
          Load more
        </button>
      ) : null}
    </section>
  );
}

function TopUp() {
  const w = useWorkspace();
  const packs = useAsync((signal) => call("get", "/api/v1/workspaces/{workspace}/wallet/packs", { path: { workspace: w.slug }, signal }), [w.slug]);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState("");
  const [saveCard, setSaveCard] = useState(false);
  if (!w.can("billing:manage")) return null;
  const buy = async (code: string) => {
    setBusy(code);
    setError(null);
    try {
      const r = await call("post", "/api/v1/workspaces/{workspace}/wallet/top-ups", {
        path: { workspace: w.slug },
        body: { pack: code, save_card: saveCard },
      });
      window.location.assign(r.checkout_url);
    } catch (err) {
      setError(err);
      setBusy("");
    }
  };
  return (
    <section className="card-section" aria-labelledby="topup-title">
      <h2 id="topup-title">Top up</h2>
      {packs.loading && !packs.data ? <Loading /> : null}
      <ErrorText error={packs.error} />
      {packs.data && packs.data.items.length === 0 ? <Empty title="No credit packs on sale">The platform operator grants credits.</Empty> : null}
      <ul className="packs">
        {packs.data?.items.map((p) => (
          <li key={p.id} className="pack">
            <strong>{p.name}</strong>
            <span>{credits(p.credits)}</span>
            <span className="hint">{money(p.price_cents, p.currency)}</span>
            <button type="button" className="btn btn-primary" disabled={!!busy} onClick={() => void buy(p.code)}>
              {busy === p.code ? "Opening checkout…" : "Buy"}
            </button>
          </li>
        ))}
      </ul>
      {packs.data && packs.data.items.length > 0 ? (
        <label className="check">
          <input type="checkbox" checked={saveCard} onChange={(e) => setSaveCard(e.target.checked)} /> Save the card for auto-recharge
        </label>
      ) : null}
      <ErrorText error={error} />
    </section>
  );
}

type WalletData = {
  low_balance_threshold: number;
  auto_recharge: { pack: string; card: string; paused: string };
};

function AutoRecharge({ wallet, onSaved }: { wallet: WalletData; onSaved: () => void }) {
  const w = useWorkspace();
  const ar = wallet.auto_recharge;
  const packs = useAsync((signal) => call("get", "/api/v1/workspaces/{workspace}/wallet/packs", { path: { workspace: w.slug }, signal }), [w.slug]);
  const [pack, setPack] = useState(ar.pack);
  const { busy, error, submit } = useAction();
  const save = submit(async () => {
    await call("patch", "/api/v1/workspaces/{workspace}/wallet", { path: { workspace: w.slug }, body: { auto_recharge_pack: pack } });
    onSaved();
  });
  const name = (code: string) => packs.data?.items.find((p) => p.code === code)?.name ?? code;
  return (
    <section className="card-section" aria-labelledby="recharge-title">
      <h2 id="recharge-title">Auto-recharge</h2>
      {ar.paused ? (
        <p className="notice notice-warn" role="status">
          Auto-recharge is paused: {ar.paused}. Save it again, or buy a pack with a new card saved, to resume.
        </p>
      ) : null}
      <p className="hint">
        {ar.pack
          ? `Buys ${name(ar.pack)} with ${ar.card || "the saved card"} when the balance falls to ${credits(wallet.low_balance_threshold)}.`
          : ar.card
            ? `Off. The saved card is ${ar.card}.`
            : "Off. Buy a pack with “Save the card for auto-recharge” ticked to turn it on."}
      </p>
      {w.can("billing:manage") && ar.card ? (
        <form className="row row-end" onSubmit={save} noValidate>
          <Field label="Pack to buy" error={fieldError(error, "auto_recharge_pack") ?? fieldError(error, "low_balance_threshold")}>
            <select value={pack} onChange={(e) => setPack(e.target.value)}>
              <option value="">Off</option>
              {packs.data?.items.map((p) => (
                <option key={p.code} value={p.code}>
                  {p.name} — {credits(p.credits)}, {money(p.price_cents, p.currency)}
                </option>
              ))}
            </select>
          </Field>
          <button type="submit" className="btn" disabled={busy}>
            Save
          </button>
          <ErrorText error={error} />
        </form>
      ) : null}
    </section>
  );
}

function Threshold({ value, onSaved }: { value: number; onSaved: () => void }) {
  const w = useWorkspace();
  const [v, setV] = useState(String(value));
  const { busy, error, submit } = useAction();
  if (!w.can("billing:manage")) return <p className="hint">Low-balance alert at {credits(value)}.</p>;
  const save = submit(async () => {
    await call("patch", "/api/v1/workspaces/{workspace}/wallet", { path: { workspace: w.slug }, body: { low_balance_threshold: Number(v) } });
    onSaved();
  });
  return (
    <form className="row row-end" onSubmit={save} noValidate>
      <Field label="Low-balance alert at" hint="0 turns the alert off." error={fieldError(error, "low_balance_threshold")}>
        <input type="number" min={0} value={v} onChange={(e) => setV(e.target.value)} />
      </Field>
      <button type="submit" className="btn" disabled={busy}>
        Save
      </button>
      <ErrorText error={error} />
    </form>
  );
}

export function Wallet() {
  const w = useWorkspace();
  const wallet = useAsync((signal) => call("get", "/api/v1/workspaces/{workspace}/wallet", { path: { workspace: w.slug }, signal }), [w.slug]);
  return (
    <div className="settings-page">
      <h1>Wallet</h1>
      {wallet.loading && !wallet.data ? <Loading /> : null}
      <ErrorText error={wallet.error} />
      {wallet.data ? (
        <section className="card-section balance" aria-labelledby="balance-title">
          <h2 id="balance-title">Balance</h2>
          <p className="balance-value" data-testid="balance">
            {credits(wallet.data.balance)}
          </p>
          {wallet.data.low ? (
            <p className="notice notice-warn" role="status">
              The balance is at or below the low-balance alert level ({credits(wallet.data.low_balance_threshold)}). Sends fail once it
              runs out.
            </p>
          ) : null}
          <p className="hint">One credit per message (per SMS segment); a message that does not go out is refunded.</p>
          <Threshold value={wallet.data.low_balance_threshold} onSaved={() => void wallet.reload()} />
        </section>
      ) : null}
      <TopUp />
      {wallet.data ? <AutoRecharge wallet={wallet.data} onSaved={() => void wallet.reload()} /> : null}
      <Ledger />
    </div>
  );
}
