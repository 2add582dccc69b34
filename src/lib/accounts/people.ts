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
};

// The library's session cookie, under the board's prefix; `__Secure-` over HTTPS.
const SESSION_COOKIE = /(?:^|;\s*)(?:__Secure-)?board\.session_token=/;

export function createPeople(accounts: Accounts, pool: Pool, admins: readonly string[], log: Logger): People {
  const administrators = new Set(admins);
  return {
    enabled: true,
    async whoIs(headers) {
      const cookie = headers.get("cookie");
      if (!cookie || !SESSION_COOKIE.test(cookie)) return undefined;
      let session: Awaited<ReturnType<Auth["api"]["getSession"]>>;
      try {
        // The host too: the library builds its base address from it.
        const asked = new Headers({ cookie, host: headers.get("host") ?? "localhost" });
        session = await accounts.over(overHttps(headers)).api.getSession({ headers: asked });
      } catch (error) {
        log.warn("session check failed", errorFields(error));
        throw new BoardError("history_unavailable", "Accounts (PostgreSQL) are unreachable; try again shortly.");
      }
      if (!session) throw new BoardError("session_ended", "Your session has ended: sign in again.");
      const { user } = session;
      return { id: user.id, name: user.name, admin: administrators.has(user.email.toLowerCase()) };
    },
    async nameTaken(name) {
      const { rows } = await pool.query("SELECT 1 FROM auth_users WHERE lower(name) = lower($1)", [name]);
      return rows.length > 0;
    },
  };
}

/** Accounts off: every request is a guest's, and every name free. */
export const NO_ACCOUNTS: People = { enabled: false, whoIs: async () => undefined, nameTaken: async () => false };
