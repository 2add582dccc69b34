import { createHash, randomBytes } from "node:crypto";

/** The cookie that tells one browser's reader from another's, for readers without an account. */
const READER_COOKIE = "board_reader";
const VALUE = /^[\w-]{22,64}$/;
const YEAR_SECONDS = 365 * 24 * 60 * 60;

/** The reader's cookie value from a Cookie header, if it has a well-formed one. */
function readerCookieOf(cookieHeader: string | null | undefined): string | undefined {
  for (const part of cookieHeader?.split(";") ?? []) {
    const [name, value] = part.trim().split("=", 2);
    if (name === READER_COOKIE && value && VALUE.test(value)) return value;
  }
  return undefined;
}

/** A new reader's cookie value, and the Set-Cookie header that gives it to the browser. */
export function newReaderCookie(secure: boolean): { value: string; header: string } {
  const value = randomBytes(24).toString("base64url");
  const header = `${READER_COOKIE}=${value}; Path=/; Max-Age=${YEAR_SECONDS}; HttpOnly; SameSite=Lax${secure ? "; Secure" : ""}`;
  return { value, header };
}

/**
 * Who the reader is in records and views: a digest of the cookie, so that what is written to Kafka and
 * Redis cannot be used to act as the reader.
 */
export function reactorOf(cookie: string): string {
  return createHash("sha256").update(cookie).digest("base64url").slice(0, 22);
}

/** The reader a Cookie header names, as records know it; undefined for a reader without the cookie. */
export function reactorIn(cookieHeader: string | null | undefined): string | undefined {
  const cookie = readerCookieOf(cookieHeader);
  return cookie === undefined ? undefined : reactorOf(cookie);
}
