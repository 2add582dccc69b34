"use client";

import { createContext, useContext } from "react";
import type { Message } from "@/lib/messages/schema";

import type { PageViewer } from "@/lib/accounts/page-viewer";

export type ViewerRights = {
  viewer: PageViewer;
  /** The account that owns the board shown, if one does. */
  boardOwner: string | undefined;
  /** How long after posting an author may edit, in ms. */
  editWindowMs: number;
};

export const ViewerContext = createContext<ViewerRights>({ viewer: null, boardOwner: undefined, editWindowMs: 0 });

/** What the page's reader may do to a message; the server checks the same again. */
export function useRights(message: Pick<Message, "account" | "createdAt">, now: Date) {
  const { viewer, boardOwner, editWindowMs } = useContext(ViewerContext);
  const authored = viewer !== null && message.account?.id === viewer.id;
  return {
    canDelete: viewer !== null && (authored || viewer.admin || boardOwner === viewer.id),
    canEdit: authored && now.getTime() - Date.parse(message.createdAt) < editWindowMs,
  };
}
