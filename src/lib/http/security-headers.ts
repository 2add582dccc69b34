export type HeaderValues = Record<string, string>;

/** On every answer; pages also get a Content-Security-Policy with a nonce from src/proxy.ts. */
export const SECURITY_HEADERS: HeaderValues = {
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "strict-origin-when-cross-origin",
  "X-Frame-Options": "DENY",
  "Cross-Origin-Opener-Policy": "same-origin",
};

/** Answers of the API are data, never a document to render or frame. */
export const API_HEADERS: HeaderValues = { "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'" };
