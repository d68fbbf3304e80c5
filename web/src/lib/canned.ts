// Canned responses: the replies a team keeps ready, which an agent puts in the composer
// by typing "/" and a shortcut. Finding them as the shortcut is typed, and filling in
// the details their text names ({{first_name}}, {{agent_name}} …).
import type * as S from "../api/schema.gen";

export type CannedResponse = S.CannedResponse;

/** The details a response's text may name, as the server allows them. */
export const CANNED_VARIABLES = ["name", "first_name", "last_name", "phone", "email", "agent_name"] as const;

export type CannedVariable = (typeof CANNED_VARIABLES)[number];

/** The customer a reply goes to, as far as the composer knows them. */
export interface CannedCustomer {
  name?: string | null;
  phone?: string | null;
  email?: string | null;
}

/** A name as the server reads it: {{name}}, spaces inside the braces allowed. */
const VARIABLE = /\{\{\s*([^{}]*?)\s*\}\}/g;

/**
 * The values of a response's variables: the customer's details (none when it is not
 * known who the reply goes to) and the name of the member writing. A detail missing
 * has no value, so its token stays in the text for the agent to fill in by hand.
 */
export function cannedValues(customer: CannedCustomer | null | undefined, agentName: string | null | undefined): Partial<Record<CannedVariable, string>> {
  const out: Partial<Record<CannedVariable, string>> = {};
  const name = customer?.name?.trim() ?? "";
  if (name) {
    const words = name.split(/\s+/);
    out.name = name;
    out.first_name = words[0];
    // One word is a first name: it says nothing of a last one.
    if (words.length >= 2) out.last_name = words[words.length - 1];
  }
  if (customer?.phone?.trim()) out.phone = customer.phone.trim();
  if (customer?.email?.trim()) out.email = customer.email.trim();
  if (agentName?.trim()) out.agent_name = agentName.trim();
  return out;
}

/** A response's text with the variables that have a value filled in; the others stay as written. */
export function fillCanned(body: string, values: Partial<Record<CannedVariable, string>>): string {
  return body.replace(VARIABLE, (all, name: string) => values[name as CannedVariable] || all);
}

/** What is typed to find a response: lower case, without the "/" it may start with. */
function normalize(typed: string): string {
  return typed.trim().replace(/^\//, "").toLowerCase();
}

/**
 * The responses that match what was typed, those whose shortcut starts with it first,
 * each group by shortcut. The composer's picker looks at the shortcut and title only
 * (the words of a text match too loosely while a shortcut is typed); the settings'
 * search looks in the category and text too, as the server's search does.
 */
export function findCanned(list: CannedResponse[], typed: string, where: "picker" | "everywhere" = "picker"): CannedResponse[] {
  const q = normalize(typed);
  const sorted = [...list].sort((a, b) => (a.shortcut < b.shortcut ? -1 : a.shortcut > b.shortcut ? 1 : 0));
  if (!q) return sorted;
  const first: CannedResponse[] = [];
  const then: CannedResponse[] = [];
  for (const r of sorted) {
    if (r.shortcut.startsWith(q)) first.push(r);
    else if (
      r.shortcut.includes(q) ||
      r.title.toLowerCase().includes(q) ||
      (where === "everywhere" && (r.category.toLowerCase().includes(q) || r.body.toLowerCase().includes(q)))
    ) {
      then.push(r);
    }
  }
  return [...first, ...then];
}

/**
 * The "/shortcut" being typed just before the caret: a "/" at the start of the text or
 * after a space or new line, then at least one letter, digit, - or _. start is where
 * the "/" is, query what follows it.
 */
export function slashToken(value: string, caret: number): { start: number; query: string } | null {
  const m = /(^|\s)\/([a-z0-9_-]+)$/i.exec(value.slice(0, caret));
  if (!m) return null;
  return { start: m.index + m[1].length, query: m[2] };
}

/** A response's first line, for a list that shows one line of each. */
export function cannedPreview(body: string): string {
  return body.trim().split("\n")[0].trim();
}
