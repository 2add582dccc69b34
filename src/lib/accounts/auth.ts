import { createHash, createHmac } from "node:crypto";
import { betterAuth } from "better-auth";
import { APIError, createAuthMiddleware } from "better-auth/api";
import { genericOAuth } from "better-auth/plugins/generic-oauth";
import type { Pool } from "pg";
import { z } from "zod";
import type { Config } from "../config";
import type { Logger } from "../log";
import { ANONYMOUS_AUTHOR, authorSchema } from "../messages/schema";
import type { RateDecision } from "../store/rate-limit";

/** The header the web process writes the client's address into, for the library's limits and sessions. */
export const CLIENT_ADDRESS_HEADER = "x-board-client";

/** The name of the OpenID Connect provider in the library's routes (`/api/auth/callback/oidc`). */
export const OIDC_PROVIDER_ID = "oidc";

export type AuthDeps = {
  config: Pick<Config, "AUTH_SECRET" | "ALLOWED_ORIGINS" | "OIDC_ISSUER" | "OIDC_CLIENT_ID" | "OIDC_CLIENT_SECRET">;
  pool: Pool;
  /** One sign-in attempt from an address, and one for an account (a digest of its e-mail address). */
  limiter: { take(key: string): Promise<RateDecision> };
  log: Logger;
};

/**
 * Accounts, by Better Auth: its tables (auth_*) in the board's PostgreSQL, passwords hashed with scrypt,
 * sessions in the database (so that signing out everywhere or a ban takes effect at the next request), and
 * OpenID Connect when a provider is configured. The board's own rules are added as hooks: names are valid
 * author names and one account's only, and sign-in attempts are limited per address and per account.
 *
 * Session cookies are `Secure` when the board is served over HTTPS, whatever the host: the library fixes
 * that per instance, so there is one for each, made when first asked for.
 */
export function createAuth(deps: AuthDeps) {
  const made = new Map<boolean, Auth>();
  return {
    over(https: boolean): Auth {
      let auth = made.get(https);
      if (!auth) made.set(https, (auth = accountsLibrary(deps, https)));
      return auth;
    },
  };
}

export type Accounts = ReturnType<typeof createAuth>;
export type Auth = ReturnType<typeof accountsLibrary>;

/** Whether a request reached the board over HTTPS, as the proxy in front of it says. */
export const overHttps = (headers: { get(name: string): string | null }) => headers.get("x-forwarded-proto") === "https";

function accountsLibrary({ config, pool, limiter, log }: AuthDeps, https: boolean) {
  const oidc =
    config.OIDC_ISSUER && config.OIDC_CLIENT_ID
      ? [
          genericOAuth({
            config: [
              {
                providerId: OIDC_PROVIDER_ID,
                discoveryUrl: new URL(".well-known/openid-configuration", `${config.OIDC_ISSUER.replace(/\/$/, "")}/`).toString(),
                clientId: config.OIDC_CLIENT_ID,
                clientSecret: config.OIDC_CLIENT_SECRET,
                scopes: ["openid", "profile", "email"],
                pkce: true,
              },
            ],
          }),
        ]
      : [];
  return betterAuth({
    secret: config.AUTH_SECRET,
    basePath: "/api/auth",
    // The board is served under many names (localhost on any port, a balancer, a deployment's own): the
    // request's host, when it is one of these, is the base of the library's links.
    baseURL: {
      allowedHosts: ["localhost:*", "127.0.0.1:*", "[::1]:*", ...config.ALLOWED_ORIGINS.map((origin) => new URL(origin).host)],
      protocol: "auto",
      // Another host (one that ALLOWED_ORIGINS does not name): links are made for the first origin named, and
      // that host's pages may not sign in.
      fallback: config.ALLOWED_ORIGINS[0] ?? "http://localhost:3000",
    },
    trustedOrigins: config.ALLOWED_ORIGINS,
    database: pool,
    user: { modelName: "auth_users" },
    session: { modelName: "auth_sessions", expiresIn: 30 * 24 * 3600, updateAge: 24 * 3600 },
    account: { modelName: "auth_accounts" },
    verification: { modelName: "auth_verifications" },
    emailAndPassword: { enabled: true, minPasswordLength: 10, maxPasswordLength: 128, autoSignIn: true },
    advanced: {
      cookiePrefix: "board",
      useSecureCookies: https,
      ipAddress: { ipAddressHeaders: [CLIENT_ADDRESS_HEADER] },
    },
    // The board's own limits (below) count across every web process, in Redis.
    rateLimit: { enabled: false },
    // Nothing about accounts in the logs: the library's messages only, never their arguments (which may
    // hold e-mail addresses or tokens).
    logger: { level: "error", log: (level, message) => log[level === "debug" ? "debug" : level](`accounts: ${message}`) },
    telemetry: { enabled: false },
    plugins: oidc,
    databaseHooks: {
      user: {
        create: { before: async (user) => ({ data: { ...user, name: await accountName(pool, user.name) } }) },
        update: {
          before: async (user) => (user.name === undefined ? { data: user } : { data: { ...user, name: await accountName(pool, user.name) } }),
        },
      },
    },
    hooks: {
      before: createAuthMiddleware(async (ctx) => {
        if (!ctx.path.startsWith("/sign-in") && !ctx.path.startsWith("/sign-up")) return;
        const address = ctx.headers?.get(CLIENT_ADDRESS_HEADER) ?? "unknown";
        const email = signInBodySchema.safeParse(ctx.body).data?.email.toLowerCase();
        const keys = [`address:${address}`, ...(email ? [`account:${digest(email)}`] : [])];
        for (const key of keys) {
          const decision = await limiter.take(key);
          if (!decision.allowed) {
            throw new APIError("TOO_MANY_REQUESTS", {
              message: "Too many sign-in attempts; try again in a minute.",
              code: "TOO_MANY_ATTEMPTS",
            });
          }
        }
      }),
    },
  });
}

const signInBodySchema = z.object({ email: z.string().max(320) });

/**
 * What an address is known as in records and keys (bans): a keyed digest, so that the address cannot be
 * recovered from it by trying every address there is.
 */
export const addressDigest = (secret: string, address: string) => createHmac("sha256", secret).update(address).digest("base64url").slice(0, 22);

/** An address or account in a rate-limit key, without the address itself. */
const digest = (value: string) => createHash("sha256").update(value).digest("base64url").slice(0, 22);

/**
 * A name an account may take: a valid author name, not the guests' one, and no other account's (compared
 * without case), so that a name on the board stands for one person.
 */
async function accountName(pool: Pool, asked: unknown): Promise<string> {
  const parsed = authorSchema.safeParse(asked);
  if (!parsed.success) throw new APIError("BAD_REQUEST", { message: parsed.error.issues[0]?.message ?? "invalid name", code: "INVALID_NAME" });
  const name = parsed.data;
  if (name.toLowerCase() === ANONYMOUS_AUTHOR.toLowerCase()) throw new APIError("BAD_REQUEST", { message: "Choose a name of your own.", code: "NAME_TAKEN" });
  const { rows } = await pool.query("SELECT 1 FROM auth_users WHERE lower(name) = lower($1)", [name]);
  if (rows.length > 0) throw new APIError("BAD_REQUEST", { message: "That name is taken; choose another.", code: "NAME_TAKEN" });
  return name;
}
