import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { useState } from "react";
import { describe, expect, it } from "vitest";
import { cleanConfig, engineOf, initialConfig, SchemaForm, type Config, type JSONSchema } from "./SchemaForm";

// The loopback plugin's manifest schema, as the API serves it.
const loopback: JSONSchema = {
  title: "Loopback",
  type: "object",
  required: ["webhook_secret"],
  properties: {
    webhook_secret: { type: "string", minLength: 1, "x-secret": true, title: "Webhook secret", description: "Key of the HMAC-SHA256 signature." },
    auto_reply: { type: "string", title: "Automatic reply" },
    fail_with: { type: "string", enum: ["transient", "rate_limited", "permanent", "auth"], title: "Fail every send with" },
    fail_rate: { type: "number", minimum: 0, maximum: 1, default: 0, title: "Random failure rate" },
    delay_ms: { type: "integer", minimum: 0, maximum: 60000, default: 0, title: "Send latency (ms)" },
    statuses: {
      type: "array",
      items: { type: "string", enum: ["sent", "delivered", "read", "failed"] },
      default: ["sent", "delivered", "read"],
      title: "Status sequence",
    },
  },
};

function Harness({ schema, errors, engine, engines, out }: { schema: JSONSchema; errors?: Record<string, string>; engine?: string; engines?: string[]; out: { v?: Config } }) {
  const [v, setV] = useState<Config>(() => initialConfig(schema));
  out.v = v;
  return <SchemaForm schema={schema} values={v} onChange={setV} errors={errors} engine={engine} engines={engines} />;
}

describe("SchemaForm", () => {
  it("makes a labelled control of each property's type", () => {
    render(<Harness schema={loopback} out={{}} />);
    const secret = screen.getByLabelText("Webhook secret (required)") as HTMLInputElement;
    expect(secret.type).toBe("password");
    expect(secret.required).toBe(true);
    expect(screen.getByText("Key of the HMAC-SHA256 signature.").id).toBe(secret.getAttribute("aria-describedby"));
    expect((screen.getByLabelText("Automatic reply") as HTMLInputElement).type).toBe("text");
    const fail = screen.getByLabelText("Fail every send with") as HTMLSelectElement;
    expect(Array.from(fail.options).map((o) => o.value)).toEqual(["", "transient", "rate_limited", "permanent", "auth"]);
    const rate = screen.getByLabelText("Random failure rate") as HTMLInputElement;
    expect([rate.type, rate.min, rate.max, rate.value]).toEqual(["number", "0", "1", "0"]);
    expect((screen.getByRole("checkbox", { name: "read" }) as HTMLInputElement).checked).toBe(true);
    expect((screen.getByRole("checkbox", { name: "failed" }) as HTMLInputElement).checked).toBe(false);
  });

  it("collects typed values into the config, leaving out empty ones", async () => {
    const out: { v?: Config } = {};
    render(<Harness schema={loopback} out={out} />);
    await userEvent.type(screen.getByLabelText("Webhook secret (required)"), "s3cret");
    await userEvent.selectOptions(screen.getByLabelText("Fail every send with"), "permanent");
    await userEvent.click(screen.getByRole("checkbox", { name: "read" }));
    await userEvent.clear(screen.getByLabelText("Send latency (ms)"));
    await userEvent.type(screen.getByLabelText("Send latency (ms)"), "250");
    expect(cleanConfig(loopback, out.v!)).toEqual({
      webhook_secret: "s3cret",
      fail_with: "permanent",
      fail_rate: 0,
      delay_ms: 250,
      statuses: ["sent", "delivered"],
    });
  });

  it("shows the plugin's message under its field", () => {
    render(<Harness schema={loopback} errors={{ fail_rate: "must be between 0 and 1; got 3" }} out={{}} />);
    const rate = screen.getByLabelText("Random failure rate");
    expect(rate.getAttribute("aria-invalid")).toBe("true");
    expect(rate.getAttribute("aria-describedby")).toContain(screen.getByText("must be between 0 and 1; got 3").id);
  });

  it("folds away the settings of the other engines", () => {
    const wa: JSONSchema = {
      type: "object",
      properties: {
        phone_number_id: { type: "string", title: "Phone number ID", description: "Cloud: the number's ID. Required for cloud." },
        account_sid: { type: "string", title: "Account SID", description: "Twilio: the account's SID." },
        api_base_url: { type: "string", format: "uri", title: "API base URL", description: "Override of the API base URL." },
      },
    };
    expect(engineOf(wa.properties!.account_sid, ["cloud", "twilio"])).toBe("twilio");
    expect(engineOf(wa.properties!.api_base_url, ["cloud", "twilio"])).toBeUndefined();
    const { container } = render(<Harness schema={wa} engine="cloud" engines={["cloud", "twilio"]} out={{}} />);
    const folded = container.querySelector("details")!;
    expect(folded.textContent).toContain("Account SID");
    expect(folded.textContent).not.toContain("Phone number ID");
    expect((screen.getByLabelText("API base URL") as HTMLInputElement).type).toBe("url");
  });

  it("starts an edit from the stored config, masked secrets included", () => {
    expect(initialConfig(loopback, { webhook_secret: "********", delay_ms: 5 })).toEqual({ webhook_secret: "********", delay_ms: 5 });
  });
});
