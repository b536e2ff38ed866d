// API key rights as people read them: grouped by purpose, each with a description, and presets for the common
// choices. Rights the server offers that are not listed here still appear, under "Other", with their name.
import { Right } from "../../client/index.js";

export interface RightGroup { title: string; rights: { right: Right; label: string; description: string }[] }

const RIGHT_GROUPS: RightGroup[] = [
  {
    title: "Your profile",
    rights: [
      { right: Right.USER_INFO, label: "Read profile", description: "See your name, e-mail address and other profile details." },
      { right: Right.USER_SETTINGS_BASIC, label: "Change profile", description: "Change your name, description and e-mail address." },
      { right: Right.USER_DELETE, label: "Delete account", description: "Delete your account." },
    ],
  },
  {
    title: "Security",
    rights: [
      { right: Right.USER_SETTINGS_API_KEYS, label: "Manage API keys", description: "List, create, change and delete your API keys (never with more rights than the key itself)." },
      { right: Right.USER_AUTHORIZED_CLIENTS, label: "Manage authorized apps", description: "See and revoke the OAuth apps you have authorized." },
    ],
  },
  {
    title: "Notifications",
    rights: [
      { right: Right.USER_NOTIFICATIONS_READ, label: "Read notifications", description: "Read your notifications and mark them as seen or archived." },
    ],
  },
  {
    title: "Other parts of The Things Stack",
    rights: [
      { right: Right.USER_APPLICATIONS_LIST, label: "List applications", description: "List the applications you collaborate on." },
      { right: Right.USER_APPLICATIONS_CREATE, label: "Create applications", description: "Create applications in your name." },
      { right: Right.USER_GATEWAYS_LIST, label: "List gateways", description: "List the gateways you collaborate on." },
      { right: Right.USER_GATEWAYS_CREATE, label: "Create gateways", description: "Create gateways in your name." },
      { right: Right.USER_CLIENTS_LIST, label: "List OAuth clients", description: "List the OAuth clients you collaborate on." },
      { right: Right.USER_CLIENTS_CREATE, label: "Create OAuth clients", description: "Create OAuth clients in your name." },
      { right: Right.USER_ORGANIZATIONS_LIST, label: "List organizations", description: "List the organizations you are a member of." },
      { right: Right.USER_ORGANIZATIONS_CREATE, label: "Create organizations", description: "Create organizations in your name." },
    ],
  },
  {
    title: "Administration",
    rights: [
      { right: Right.SEND_INVITES, label: "Send invitations", description: "Invite people to register (administrators)." },
    ],
  },
];

/** Everything on the account, including rights added in later versions. */
export const FULL_ACCOUNT: Right[] = [Right.USER_ALL];
/** Reading only: profile, notifications and the lists of what the account belongs to. */
export const READ_ONLY: Right[] = [
  Right.USER_INFO, Right.USER_NOTIFICATIONS_READ, Right.USER_APPLICATIONS_LIST, Right.USER_GATEWAYS_LIST,
  Right.USER_CLIENTS_LIST, Right.USER_ORGANIZATIONS_LIST,
];

const KNOWN = new Map(RIGHT_GROUPS.flatMap((g) => g.rights.map((r) => [r.right, r] as const)));

/** A right's name for people: its label, or the enum name in words. */
export function rightLabel(right: Right): string {
  if (right === Right.USER_ALL) return "Full account access";
  if (right === Right.ALL) return "All rights";
  return KNOWN.get(right)?.label ?? (Right[right] ?? String(right)).toLowerCase().replace(/_/g, " ").replace(/^./, (c) => c.toUpperCase());
}

/** The groups restricted to the rights the user may grant, plus "Other" for rights this file does not describe. */
export function grantableGroups(grantable: Right[]): RightGroup[] {
  const offered = new Set(grantable);
  const groups = RIGHT_GROUPS.map((g) => ({ ...g, rights: g.rights.filter((r) => offered.has(r.right)) })).filter((g) => g.rights.length);
  const other = grantable.filter((r) => !KNOWN.has(r) && r !== Right.USER_ALL && r !== Right.ALL);
  if (other.length) groups.push({ title: "Other", rights: other.map((r) => ({ right: r, label: rightLabel(r), description: `Upstream right ${Right[r] ?? r}.` })) });
  return groups;
}
