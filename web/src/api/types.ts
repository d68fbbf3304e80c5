// The API's types under the names the app uses.
import type * as S from "./schema.gen";

export type Conversation = S.ConversationView;
export type Message = S.Message;
export type Contact = S.Contact;
export type Group = S.Group;
export type Connection = S.ConnectionView;
export type Member = S.Member;
export type WorkspaceView = S.WorkspaceView;
export type WorkspaceRole = S.WorkspaceRole;
export type User = S.User;
export type SessionResponse = S.SessionResponse;
export type MeResponse = S.MeResponse;
export type LedgerEntry = S.Entry;
export type Pack = S.Pack;
export type PluginStatus = S.PluginStatus;
export type Invitation = S.InvitationView;
export type MessageRequest = S.MessageRequest;
/** A message's media as it is written: an uploaded file's id, or a link. */
export type MessageMedia = S.MessageMedia;
/** A file uploaded to send (POST …/media), named by a media message's file_id. */
export type MediaFile = S.File;
/** A template as a send fills it in (sdk.Template). */
export type Template = S.sdk_Template;
/** An approved template of a connection, as its provider lists it. */
export type ListedTemplate = S.connections_Template;
/** A channel plugin a workspace may connect, with its config schema. */
export type ChannelOption = S.ChannelOption;
export type TimelineEvent = S.Event;
/** A Team Inbox queue of its own: the members who work it and the connections whose new tickets go to it. */
export type Team = S.Team;
/** A member's open tickets, active and pending (absent: none). */
export type Workload = S.Workload;
/** How the queue hands out tickets: kept for a member to accept, round robin, or all to one member. */
export type AssignmentSettings = S.AssignmentSettings;
/** When idle tickets close by themselves, in minutes (0: never): active and pending ones resolved, queued ones abandoned. */
export type AutoClose = S.AutoClose;
export type AutoCloseRequest = S.AutoCloseRequest;
/** The Team Inbox's SLA targets in minutes (0: no target), and whether only business hours count towards them. */
export type SLAPolicy = S.SLAPolicy;
export type SLARequest = S.SLARequest;
/** A change to a conversation (PATCH): its state (not abandoned, the auto-close rules' own), read state, archive, tags and labels. */
export type ConversationUpdate = S.ConversationUpdate;
/** A member's own say whether the queue hands them tickets (online), or passes them over (busy, offline). */
export type Availability = S.Member["availability"];
/** A workspace's business hours, with whether they are open now and when they next open. */
export type BusinessHoursView = S.BusinessHoursView;
/** One open stretch of a day, "HH:MM" to "HH:MM" (24:00 is midnight). */
export type HoursInterval = S.Interval;
/** The tags and labels a workspace's conversations carry, most used first (labels: then the offered ones). */
export type TagsInUse = S.TagsInUse;
/** A name in use and how many conversations carry it. */
export type TagCount = S.TagCount;

export type Role = "admin" | "manager" | "agent" | "viewer";
export const ROLES: Role[] = ["admin", "manager", "agent", "viewer"];

/**
 * A conversation as realtime sends it: without its contact and channel, its tags and
 * labels, and the SLA targets it missed (sla_breaches, reckoned when the server
 * answers a request: lib/sla.ts reckons them from the clocks the change does carry).
 */
export type ConversationChange = Omit<Conversation, "contact" | "channel" | "templates_only" | "tags" | "labels" | "sla_breaches"> & Partial<Conversation>;
