// The Team Inbox's teams: queues of their own, each with the members who work it and
// the connections whose new customers' tickets go to it. Tickets carry their team
// (team_id; none: the general queue), which the lists, the ticket's head and a
// transfer name; Settings → Teams keeps them.
import { call } from "../api/client";
import type { Team } from "../api/types";
import { useWorkspace } from "../workspace";
import { useAsync } from "./useAsync";

/** A list filter's value for the tickets of no team, as the server takes it (team=none). */
export const GENERAL_QUEUE = "none";

/**
 * The workspace's teams by name (GET …/teams), loaded once enabled. They only name
 * and sort tickets, which work without them, so a failure leaves none.
 */
export function useTeams(enabled = true): Team[] | undefined {
  const w = useWorkspace();
  const teams = useAsync(
    (signal) =>
      enabled && w.can("conversations:read")
        ? call("get", "/api/v1/workspaces/{workspace}/teams", { path: { workspace: w.slug }, signal }).then((l) => l.items)
        : Promise.resolve(undefined),
    [w.slug, enabled],
  );
  return teams.data;
}

/** The team a ticket is in, when it has one the page knows. */
export function teamOf(teams: Team[] | undefined, teamId: string | null | undefined): Team | undefined {
  return teamId ? teams?.find((t) => t.id === teamId) : undefined;
}

/** A team's queue as a transfer offers it: "Billing team queue", and "Sales Team queue" for a name that says team already. */
export function queueName(team: Pick<Team, "name">): string {
  return /\bteam$/i.test(team.name.trim()) ? `${team.name} queue` : `${team.name} team queue`;
}
