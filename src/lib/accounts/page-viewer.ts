/** The signed-in reader of a page, as the server saw them when it rendered it; null for a guest. */
export type PageViewer = { id: string; name: string; admin: boolean } | null;

/** What the reader is on the board shown: its owner, a moderator, an administrator, or nothing of these. */
export type PageRole = "admin" | "owner" | "moderator" | null;
