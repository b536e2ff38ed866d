// Builds the service from its parts: database, mail, RPC routes and the HTTP front that serves them on one port.
import type http from "node:http";
import http2 from "node:http2";
import { createContextValues } from "@connectrpc/connect";
import { anyTypes } from "../client/any-types.js";
import { ACCOUNT_API_PREFIX, accountHandler } from "./account/routes.js";
import { Credentials } from "./auth/credentials.js";
import { RateLimits } from "./auth/rate-limit.js";
import { systemClock, type Clock } from "./clock.js";
import type { Config } from "./config.js";
import { configureHashing } from "./domain/password-hash.js";
import type { Logger } from "./logger.js";
import { MailOutbox } from "./mail/outbox.js";
import { createMailTransport, type MailTransport } from "./mail/transport.js";
import { BackgroundWork } from "./notifications/background.js";
import { ProviderSecrets, sealPlaintextSecrets } from "./sso/provider-secrets.js";
import { ssoRoute } from "./sso/routes.js";
import { openCounterStore } from "./store/counters.js";
import { openDatabase, type Database } from "./store/database.js";
import { closeRedis, openRedis, redisReady } from "./store/redis.js";
import { migrate, pendingMigrations, readMigrations } from "./store/migrate.js";
import { EmbeddedUpkeep } from "./ops/embedded-upkeep.js";
import { ExpiryCleanup } from "./ops/expiry-cleanup.js";
import { Metrics, metricsRoute } from "./ops/metrics.js";
import { checkReadiness } from "./ops/readiness.js";
import { REQUEST_ID, REQUEST_ID_HEADER, requestIdFrom, requestIdOf, tagRequest } from "./ops/request-id.js";
import { shareDefaultAbortReason } from "./transport/abort-reason.js";
import { HTTP_API_CALL } from "./transport/call-protocol.js";
import { serveConsole } from "./transport/console.js";
import { handleCors } from "./transport/cors.js";
import { errorInterceptor } from "./transport/errors.js";
import { frontDoorRoute } from "./transport/front-door.js";
import { healthRoute, readinessRoute } from "./transport/health.js";
import { httpApiRoute } from "./transport/http-api/route.js";
import { prefixRoute, type HttpRoute } from "./transport/http-route.js";
import { listen, readTlsFiles, type Listener } from "./transport/listener.js";
import { callReportInterceptor } from "./transport/logging.js";
import { serveProfilePicture } from "./transport/profile-pictures.js";
import { clientAddress } from "./transport/client-address.js";
import { requestGuardInterceptor, rpcHandler } from "./transport/rpc-handler.js";
import { prepareValidation, validationInterceptor } from "./transport/validation.js";
import { CLIENT_ADDRESS, type ServiceDeps } from "./services/context.js";
import { serveOperatorSocket } from "./operator-socket.js";
import { registerServices, validationRules } from "./services/index.js";

export interface App {
  deps: ServiceDeps;
  database: Database;
  handler: (req: http.IncomingMessage | http2.Http2ServerRequest, res: http.ServerResponse | http2.Http2ServerResponse) => void;
  /** Shutdown has begun: /readyz answers 503 from now on, so load balancers stop sending. */
  markStopping(): void;
  close(): Promise<void>;
}

export interface AppOptions {
  /** Where mail goes instead of SMTP_URL or files (tests capture it). */
  mailTransport?: MailTransport;
  /** The service's time; tests move it forward instead of sleeping. */
  clock?: Clock;
}

async function createApp(config: Config, logger: Logger, options: AppOptions = {}): Promise<App> {
  const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  const migrations = readMigrations("prisma/migrations");
  let behind: string[] = [];
  if (config.migrateOnStart) {
    let applied: string[];
    try {
      applied = await migrate(database);
    } catch (err) {
      await database.close().catch(() => {});
      throw err;
    }
    if (applied.length) logger.info({ migrations: applied }, "database migrated");
  } else {
    // Another step migrates (`npm run cli -- migrate`); until it has, /readyz keeps this instance out of traffic.
    behind = await pendingMigrations(database, migrations).catch(() => []);
    if (behind.length) logger.warn({ migrations: behind }, "database schema is behind this version: not ready until `npm run cli -- migrate` has run");
  }

  // Counters every instance shares: Redis when configured, else PostgreSQL, else (embedded) this process.
  const redis = config.redisUrl ? openRedis(config.redisUrl) : undefined;
  if (redis && !(await redisReady(redis, 3_000))) logger.warn("Redis is not reachable yet: rate limits count in this process until it is");
  const counters = openCounterStore({ redis, redisKeyPrefix: config.redisKeyPrefix, postgresUrl: config.databaseUrl });
  const limits = new RateLimits(counters, config);
  const transport = options.mailTransport ?? createMailTransport({ smtpUrl: config.smtpUrl, from: config.mailFrom, dataDir: config.dataDir });
  const mail = new MailOutbox(database.prisma, transport, logger, config.mailRetry, limits.mail);
  mail.start(); // also delivers what an earlier run left pending
  const background = new BackgroundWork(logger);
  const clock = options.clock ?? systemClock;
  configureHashing({ concurrency: config.passwordHashConcurrency, priority: config.passwordHashPriority });
  const credentials = new Credentials(database);
  const deps: ServiceDeps = { db: database.prisma, credentials, config, logger, mail, limits, background, clock };
  const account = accountHandler(deps);
  const metrics = config.metrics.enabled
    ? new Metrics({
      limits,
      mailQueueDepth: () => mail.queueDepth(),
      pool: database.poolStats,
    })
    : undefined;
  // On a schema that is behind, the tables may not be there yet: the next start seals them.
  if (!behind.length) await sealPlaintextSecrets(database.prisma, new ProviderSecrets(config.authProviderSecretKey), logger);
  const cleanup = new ExpiryCleanup(database, clock, logger, config.cleanup);
  cleanup.start();
  const upkeep = database.kind === "embedded" ? new EmbeddedUpkeep(database, logger) : undefined;
  upkeep?.start();
  let stopping = false;

  // Only these two can carry an embedded profile picture (up to 8 MiB); every protocol reads them with this limit.
  const bodyLimits: Record<string, number> = {
    "/ttn.lorawan.v3.UserRegistry/Create": config.requestLimits.maxPictureBytes,
    "/ttn.lorawan.v3.UserRegistry/Update": config.requestLimits.maxPictureBytes,
  };
  const contextValues = (req: http.IncomingMessage | http2.Http2ServerRequest) =>
    createContextValues().set(CLIENT_ADDRESS, clientAddress(req, config.trustProxy)).set(REQUEST_ID, requestIdOf(req));
  const rpc = rpcHandler({
    routes: (router) => registerServices(router, deps),
    // Order matters: errors wrap everything so refusals and validation failures are translated too.
    interceptors: [
      callReportInterceptor(logger, metrics?.observeCall), errorInterceptor(logger), requestGuardInterceptor,
      validationInterceptor(validationRules),
    ],
    maxBodyBytes: config.requestLimits.maxBytes,
    bodyLimits,
    contextValues,
    logger,
    // Upstream's JSON uses proto field names (primary_email_address); parsing accepts both spellings, and
    // rpcHandler also reads upstream's field masks and unprefixed enum names. Any (notification data) needs the registry.
    jsonOptions: { useProtoFieldName: true, registry: anyTypes },
  });
  prepareValidation(rpc.inputs); // compiled now, not on some client's first call

  // Tried in order after CORS; whatever none of them answers is an RPC (gRPC, gRPC-Web or Connect).
  const routes: HttpRoute[] = [
    healthRoute,
    (req, res) => serveProfilePicture(req, res, database.prisma, logger),
    (req, res) => serveConsole(req, res),
    ssoRoute(deps), // before the account API: it answers two paths under /oauth/api/ too
    prefixRoute(ACCOUNT_API_PREFIX, account),
    httpApiRoute({
      prefix: "/api/v3", handlers: rpc.handlers, registry: anyTypes, logger, contextValues: (req) => contextValues(req).set(HTTP_API_CALL, true),
      readMaxBytes: (requestPath) => bodyLimits[requestPath] ?? config.requestLimits.maxBytes,
    }),
    readinessRoute(() => checkReadiness({ database, redis, migrations, stopping: () => stopping })),
    ...(metrics ? [metricsRoute(metrics, config.metrics.token)] : []),
    frontDoorRoute,
  ];
  const dispatch: App["handler"] = (req, res) => {
    if (handleCors(req, res, config.corsOrigins)) return;
    for (const route of routes) if (route(req, res)) return;
    rpc(req, res);
  };

  // The handler runs inside the HTTP server's 'request' event: anything it throws is an uncaught exception that
  // ends the process, for every client. connect-node parses the request synchronously (e.g. it builds a URL from
  // the Host header, so `Host: a b`, `Host: x:99999` or an HTTP/1.0 request without Host throw), so one malformed
  // request could take the service down. Contain each failure to its own request.
  const handler: App["handler"] = (req, res) => {
    const requestId = requestIdFrom(req.headers[REQUEST_ID_HEADER]);
    res.setHeader(REQUEST_ID_HEADER, requestId);
    tagRequest(req, requestId);
    metrics?.watchLogin(req, res);
    try {
      const result: unknown = dispatch(req, res);
      if (result instanceof Promise) result.catch((err: unknown) => failRequest(req, res, err, logger));
    } catch (err) {
      failRequest(req, res, err, logger);
    }
  };

  return {
    deps,
    database,
    handler,
    markStopping() { stopping = true; },
    async close() {
      stopping = true;
      await cleanup.stop();
      await upkeep?.stop();
      await background.settled(); // may still queue mail
      await mail.drain(5_000);
      await mail.stop();
      await counters.close();
      if (redis) await closeRedis(redis);
      await database.close();
    },
  };
}

/**
 * Answers a request whose dispatch threw. Such throws come from parsing what the client sent (the request is
 * unusable, e.g. no valid authority), so 400; errors from the calls themselves are answered by the handlers.
 */
function failRequest(req: http.IncomingMessage | http2.Http2ServerRequest, res: http.ServerResponse | http2.Http2ServerResponse, err: unknown, logger: Logger): void {
  logger.warn({ err, method: req.method, url: req.url, request_id: requestIdOf(req) }, "rejected a request that could not be dispatched");
  try {
    if (res.headersSent) {
      // Too late for a status: cut the exchange off so the client does not wait for the rest.
      if ("stream" in res) res.stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
      else res.destroy();
      return;
    }
    const body = JSON.stringify({ code: "invalid_argument", message: "bad request" });
    res.statusCode = 400;
    res.setHeader("content-type", "application/json");
    res.setHeader("content-length", String(Buffer.byteLength(body)));
    res.end(body);
  } catch {
    // The response itself is broken (e.g. the socket is gone); nothing more can be said to this client.
    req.socket.destroy();
  }
}

/** Creates the app and serves it; `close` stops listening, lets calls finish, then releases the database. */
export async function startServer(config: Config, logger: Logger, options: AppOptions = {}): Promise<{ app: App; listener: Listener; close(): Promise<void> }> {
  if (config.tls) readTlsFiles(config.tls); // bad files fail before the database is opened
  shareDefaultAbortReason(); // for the whole process: every call would otherwise build two DOMExceptions
  const app = await createApp(config, logger, options);
  let listener: Listener;
  try {
    listener = await listen(app.handler, { host: config.host, port: config.port, tls: config.tls, limits: config.connections });
  } catch (err) {
    await app.close(); // releases the database (and the embedded database's lock) for whoever comes next
    throw err;
  }
  // The embedded database admits only this process: operator commands (`npm run cli`) come through a socket.
  const operator = config.databaseUrl ? undefined : await serveOperatorSocket(config, app.database, logger).catch((err: Error) => {
    logger.warn({ err: err.message }, "operator socket unavailable: the CLI works only while the server is stopped");
    return undefined;
  });
  return {
    app,
    listener,
    async close() {
      app.markStopping();
      // Load balancers see /readyz fail and stop sending before the listener stops taking connections.
      if (config.shutdownDelayMs) await new Promise((resolve) => setTimeout(resolve, config.shutdownDelayMs));
      await operator?.close();
      await listener.close();
      await app.close();
    },
  };
}
