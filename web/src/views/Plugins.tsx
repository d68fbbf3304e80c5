// The platform operator's installed channel plugins.
import { call } from "../api/client";
import type { PluginStatus } from "../api/types";
import { Empty, ErrorText, Loading } from "../components/Feedback";
import { Table } from "../components/Table";
import { dateTime } from "../lib/format";
import { useAction } from "../lib/useAction";
import { useAsync } from "../lib/useAsync";

export function Plugins() {
  const list = useAsync((signal) => call("get", "/api/v1/operator/plugins", { signal }), []);
  const action = useAction();
  const toggle = (p: PluginStatus) =>
    action.run(async () => {
      await call("patch", "/api/v1/operator/plugins/{plugin}", { path: { plugin: p.id }, body: { enabled: p.state === "disabled" } });
      await list.reload();
    });
  return (
    <div className="settings-page">
      <h1>Installed plugins</h1>
      <p className="hint">Channel plugins found in the plugins directory of this installation.</p>
      {list.loading && !list.data ? <Loading /> : null}
      <ErrorText error={list.error ?? action.error} />
      {list.data && list.data.items.length === 0 ? <Empty title="No plugins installed">Put plugin binaries and their plugin.json in the plugins directory.</Empty> : null}
      {list.data && list.data.items.length ? (
        <Table caption="Installed plugins" columns={["Plugin", "Version", "Engines", "Capabilities", "State", { label: "Restarts", num: true }]} actions>
          {list.data.items.map((p) => (
            <tr key={p.id}>
              <td>
                <strong>{p.id}</strong>
                <div className="hint">{p.kind}</div>
              </td>
              <td>{p.version}</td>
              <td>{p.engines.join(", ")}</td>
              <td>{p.capabilities.join(", ")}</td>
              <td>
                <span className={`status status-${p.state}`}>{p.state}</span>
                {p.started_at ? <div className="hint">since {dateTime(p.started_at)}</div> : null}
                {p.last_error ? <div className="error">{p.last_error}</div> : null}
              </td>
              <td className="num">{p.restarts}</td>
              <td>
                <button type="button" className="btn" disabled={action.busy} onClick={() => void toggle(p)}>
                  {p.state === "disabled" ? "Enable" : "Disable"}
                </button>
              </td>
            </tr>
          ))}
        </Table>
      ) : null}
    </div>
  );
}
