// Three instances on one PostgreSQL database and one Redis behave as one service: password-attempt, sign-up and
// mail limits are counted once for all of them, a revocation on one is refused by the others within a second, and each outbox
// mail is delivered exactly once although every instance's mail worker polls the same table.
import { timestampNow } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EntityAccess } from "../../../gen/ttn/lorawan/v3/identityserver_pb.js";
import { State } from "../../../gen/ttn/lorawan/v3/enums_pb.js";
import { Right } from "../../../gen/ttn/lorawan/v3/rights_pb.js";
import { UserAccess, UserInvitationRegistry, UserRegistry } from "../../../gen/ttn/lorawan/v3/user_services_pb.js";
import type { PreparedDatabase } from "../hostile/support.js";
import {
  ADMIN_PASSWORD, buildServer, clusterEnv, eventually, prepareClusterDatabase, sharedServices, startInstance, startSmtpCounter,
  type Instance,
} from "./support.js";

const PER_USER_ADDRESS = 5;
const SIGN_UPS_PER_ADDRESS = 3;
const MAILS_PER_RECIPIENT = 2;

/** The outcome of each call, in order: "ok", or the error's code and name. */
async function outcomes(calls: (() => Promise<unknown>)[]): Promise<string[]> {
  const out: string[] = [];
  for (const call of calls) {
    try {
      await call();
      out.push("ok");
    } catch (err) {
      const e = ConnectError.from(err);
      out.push(`${Code[e.code]} ${e.rawMessage}`);
    }
  }
  return out;
}

describe("three instances on one database and Redis", { timeout: 120_000 }, () => {
  let db: PreparedDatabase;
  let smtp: Awaited<ReturnType<typeof startSmtpCounter>>;
  let instances: Instance[] = [];

  beforeAll(async () => {
    const { redisUrl } = sharedServices();
    await buildServer();
    db = await prepareClusterDatabase();
    smtp = await startSmtpCounter();
    const env = {
      ...clusterEnv(db, redisUrl), SMTP_URL: smtp.url, MAIL_POLL_INTERVAL: "200ms",
      LOGIN_RATE_LIMIT_PER_USER_ADDRESS: String(PER_USER_ADDRESS), LOGIN_RATE_LIMIT_PER_ADDRESS: "1000",
      SIGN_UP_RATE_LIMIT_PER_ADDRESS: String(SIGN_UPS_PER_ADDRESS), MAIL_RATE_LIMIT_PER_RECIPIENT: String(MAILS_PER_RECIPIENT),
      LOGIN_TOKENS_ENABLED: "true",
    };
    instances = await Promise.all(["a", "b", "c"].map((name) => startInstance(name, env)));
  }, 240_000);

  afterAll(async () => {
    await Promise.all(instances.map((i) => i.stop()));
    await smtp?.close();
    await db?.dispose();
  });

  it("counts wrong passwords against one budget, whichever instance evaluates them", async () => {
    const outcomes: string[] = [];
    for (let i = 0; i < 12; i++) {
      const instance = instances[i % instances.length]!;
      const res = await fetch(`${instance.baseUrl}/oauth/api/auth/login`, {
        method: "POST", headers: { "content-type": "application/json" },
        body: JSON.stringify({ user_id: "admin-user", password: `Wrong-Passw0rd-${i}` }),
      });
      const body = await res.json();
      outcomes.push(`${res.status} ${body.details?.[0]?.name}`);
    }
    expect(outcomes).toEqual([
      ...Array(PER_USER_ADDRESS).fill("400 no_user_id_password_match"),
      ...Array(12 - PER_USER_ADDRESS).fill("429 rate_limit_exceeded"),
    ]);
    // The owner's right password is refused too, on an instance that has not seen this address fail yet: the
    // lockout is the service's, not one process's.
    const res = await fetch(`${instances[2]!.baseUrl}/oauth/api/auth/login`, {
      method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ user_id: "admin-user", password: ADMIN_PASSWORD }),
    });
    expect(res.status).toBe(429);
  });

  it("caps anonymous sign-ups from one address once for all instances", async () => {
    const prefix = `signup-${Date.now()}`;
    const results = await outcomes(Array.from({ length: 6 }, (_, i) => () => instances[i % instances.length]!.client(UserRegistry).create({
      user: { ids: { userId: `${prefix}-${i}` }, primaryEmailAddress: `${prefix}-${i}@example.com`, password: "Sign-Up-Passw0rd" },
    })));
    expect(results.map((r) => r.split(" ")[0])).toEqual([...Array(SIGN_UPS_PER_ADDRESS).fill("ok"), ...Array(6 - SIGN_UPS_PER_ADDRESS).fill("ResourceExhausted")]);
    expect(results.at(-1)).toMatch(/rate_limit_exceeded.*resource `sign_ups:address`/);
  });

  it("caps mails to one recipient once for all instances", async () => {
    const userId = `mailed-${Date.now()}`;
    // A confirmed address, so no confirmation mail takes a share of the cap.
    await instances[0]!.client(UserRegistry, db.adminKey).create({
      user: { ids: { userId }, primaryEmailAddress: `${userId}@example.com`, password: "Mailed-Passw0rd", state: State.APPROVED, primaryEmailAddressValidatedAt: timestampNow() },
    });
    // Login tokens, asked for anonymously: each one a mail to the user, refused over the cap before it is made.
    const results = await outcomes(Array.from({ length: 3 }, (_, i) => () => instances[i % instances.length]!.client(UserAccess).createLoginToken({ userIds: { userId } })));
    expect(results.map((r) => r.split(" ")[0])).toEqual([...Array(MAILS_PER_RECIPIENT).fill("ok"), "ResourceExhausted"]);
    expect(results.at(-1)).toMatch(/rate_limit_exceeded.*resource `mail:recipient`/);
  });

  it("refuses a revoked API key on every other instance within a second", async () => {
    const [a, b, c] = instances as [Instance, Instance, Instance];
    const ids = { userId: "admin-user" };
    const created = await a.client(UserAccess, db.adminKey).createAPIKey({ userIds: ids, name: "revoke-me", rights: [Right.USER_INFO] });
    // Both others have the key cached (verified, warm) before the revocation.
    for (const other of [b, c]) {
      for (const protocol of ["connect", "grpc"] as const) {
        const info = await other.client(EntityAccess, created.key, protocol).authInfo({});
        expect(info.accessMethod.case === "apiKey" && info.accessMethod.value.apiKey?.id).toBe(created.id);
      }
    }
    await a.client(UserAccess, db.adminKey).deleteAPIKey({ userIds: ids, keyId: created.id });
    await Promise.all([b, c].map((other) => eventually(`${other.name} refuses the revoked key`, 1_000, async () => {
      try {
        await other.client(EntityAccess, created.key).authInfo({});
        return undefined;
      } catch (err) {
        return ConnectError.from(err).code === Code.Unauthenticated ? true : undefined;
      }
    }, 20)));
  });

  it("delivers each outbox mail exactly once although every instance's worker polls for it", async () => {
    const recipients = Array.from({ length: 12 }, (_, i) => `invitee-${i}-${Date.now()}@example.com`);
    await Promise.all(recipients.map((email, i) => instances[i % instances.length]!.client(UserInvitationRegistry, db.adminKey).send({ email })));
    const pending = async () => {
      const res = await Promise.all(instances.map(async (i) => (await fetch(`${i.baseUrl}/metrics`)).text()));
      return res.map((text) => Number(/^identity_mail_queue_depth (\d+)/m.exec(text)?.[1]));
    };
    // Every row sent (no instance sees one pending), and only then count what arrived: a second delivery would
    // need a second claim of a row that is already marked sent.
    await eventually("all invitations sent", 60_000, async () => ((await pending()).every((n) => n === 0) ? true : undefined), 200);
    await eventually("all invitations received", 10_000, async () => (recipients.every((r) => smtp.received.has(r)) ? true : undefined));
    expect(recipients.map((r) => smtp.received.get(r))).toEqual(recipients.map(() => 1));
  });
});
