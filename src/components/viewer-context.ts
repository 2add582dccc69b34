"use client";

import { createContext, useContext } from "react";
import type { Message } from "@/lib/messages/schema";

import type { PageRole, PageViewer } from "@/lib/accounts/page-viewer";

export type ViewerRights = {
  viewer: PageViewer;
  /** What the reader is on the board shown. */
  role: PageRole;
  /** How long after posting an author may edit, in ms. */
  editWindowMs: number;
};

export const ViewerContext = createContext<ViewerRights>({ viewer: null, role: null, editWindowMs: 0 });

/** What the page's reader may do to a message; the server checks the same again. */
export function useRights(message: Pick<Message, "account" | "createdAt">, now: Date) {
  const { viewer, role, editWindowMs } = useContext(ViewerContext);
  const authored = viewer !== null && message.account?.id === viewer.id;
  return {
    canDelete: authored || role !== null,
    canEdit: authored && now.getTime() - Date.parse(message.createdAt) < editWindowMs,
    canBan: role !== null && !authored,
    /** Owners name moderators among the board's signed-in authors. */
    canPromote: (role === "owner" || role === "admin") && message.account !== undefined && !authored,
  };
}
