/** The signed-in reader of a page, as the server saw them when it rendered it; null for a guest. */
export type PageViewer = { id: string; name: string; admin: boolean } | null;
