import type { Pool } from "pg";
import { BoardError } from "../board/errors";
import { errorFields, type Logger } from "../log";
import { overHttps, type Accounts, type Auth } from "./auth";

/** A signed-in person, as the board's rules need them: who, under which name, and whether they run the site. */
export type Person = { id: string; name: string; admin: boolean };

export type People = {
  /** Whether accounts are on: without them everyone is a guest. */
  readonly enabled: boolean;
  /**
   * Who sent a request, by its cookies: undefined for a guest. A session cookie that names no live session
   * (signed out elsewhere, expired, forged) is refused rather than taken for a guest, so that nobody posts
   * as a guest believing they are signed in.
   */
  whoIs(headers: { get(name: string): string | null }): Promise<Person | undefined>;
  /** Whether an account goes by `name` (any case): a guest may not post under it. */
  nameTaken(name: string): Promise<boolean>;
  /** Whether there is an account with this id. */
  exists(id: string): Promise<boolean>;
};

// The library's session cookie, under the board's prefix; `__Secure-` over HTTPS.
const SESSION_COOKIE = /(?:^|;\s*)((?:__Secure-)?board\.session_token=[^;]*)/;

/**
 * How long a session's check is taken as it stands. A post checked against the database each time costs
 * five times the CPU of a guest's (docs/performance.md); for this long, a session signed out elsewhere
 * still posts from this process.
 */
export const SESSION_KEPT_MS = 5000;
const KEPT_SESSIONS = 10_000;

export function createPeople(accounts: Accounts, pool: Pool, admins: readonly string[], log: Logger): People {
  const administrators = new Set(admins);
  const kept = new Map<string, { until: number; person: Person | undefined }>();
  return {
    enabled: true,
    async whoIs(headers) {
      const cookie = headers.get("cookie");
      const token = cookie && SESSION_COOKIE.exec(cookie)?.[1];
      if (!cookie || !token) return undefined;
      const known = kept.get(token);
      if (known && known.until > performance.now()) {
        if (!known.person) throw new BoardError("session_ended", "Your session has ended: sign in again.");
        return known.person;
      }
      const person = await check(cookie, headers);
      kept.delete(token);
      kept.set(token, { until: performance.now() + SESSION_KEPT_MS, person });
      if (kept.size > KEPT_SESSIONS) kept.delete(kept.keys().next().value as string);
      if (!person) throw new BoardError("session_ended", "Your session has ended: sign in again.");
      return person;
    },
    async nameTaken(name) {
      const { rows } = await pool.query("SELECT 1 FROM auth_users WHERE lower(name) = lower($1)", [name]);
      return rows.length > 0;
    },
    async exists(id) {
      const { rows } = await pool.query('SELECT 1 FROM auth_users WHERE "id" = $1', [id]);
      return rows.length > 0;
    },
  };

  /** The session's person, asked of the library (and so the database); undefined for a session that names none. */
  async function check(cookie: string, headers: { get(name: string): string | null }): Promise<Person | undefined> {
    let session: Awaited<ReturnType<Auth["api"]["getSession"]>>;
    try {
      // The host too: the library builds its base address from it.
      const asked = new Headers({ cookie, host: headers.get("host") ?? "localhost" });
      session = await accounts.over(overHttps(headers)).api.getSession({ headers: asked });
    } catch (error) {
      log.warn("session check failed", errorFields(error));
      throw new BoardError("history_unavailable", "Accounts (PostgreSQL) are unreachable; try again shortly.");
    }
    if (!session) return undefined;
    const { user } = session;
    return { id: user.id, name: user.name, admin: administrators.has(user.email.toLowerCase()) };
  }
}

/** Accounts off: every request is a guest's, and every name free. */
export const NO_ACCOUNTS: People = { enabled: false, whoIs: async () => undefined, nameTaken: async () => false, exists: async () => false };
