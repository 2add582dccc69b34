"use client";

import { useEffect, useRef, useState } from "react";
import { storedMessageSchema, type History, type StoredMessage } from "@/lib/messages/schema";
import { formatPosition } from "@/lib/messages/position";
import { insertMessage } from "@/lib/messages/board-order";

export type ConnectionState = "connecting" | "live" | "reconnecting" | "offline";

const RETRY_MS = [500, 1000, 2000, 5000, 10_000];
// After this many failed attempts in a row the board says it is offline, and keeps trying.
const OFFLINE_AFTER = 3;

/**
 * The board's messages, kept current through one EventSource. The browser resumes a dropped stream on its
 * own with Last-Event-ID; when the server refuses the stream outright (Redis down, a restart), this hook
 * opens a new one from the last position it saw.
 */
export function useBoardStream(initial: History | null, limit: number) {
  const [messages, setMessages] = useState<StoredMessage[]>(initial?.messages ?? []);
  const [state, setState] = useState<ConnectionState>("connecting");
  const [mustReload, setMustReload] = useState(false);
  const position = useRef(startPosition(initial));

  useEffect(() => {
    let source: EventSource | undefined;
    let retryTimer: ReturnType<typeof setTimeout> | undefined;
    let failures = 0;

    const connect = () => {
      source = new EventSource(`/api/messages/stream?after=${encodeURIComponent(position.current)}`);
      source.onopen = () => {
        failures = 0;
        setState("live");
      };
      source.onmessage = (event: MessageEvent<string>) => {
        const parsed = storedMessageSchema.safeParse(safeJson(event.data));
        if (!parsed.success) return;
        if (event.lastEventId) position.current = event.lastEventId;
        setMessages((current) => insertMessage(current, parsed.data, limit));
      };
      source.addEventListener("reset", () => {
        source?.close();
        setMustReload(true);
        setState("offline");
      });
      source.onerror = () => {
        if (source?.readyState !== EventSource.CLOSED) {
          setState("reconnecting");
          return;
        }
        failures += 1;
        setState(failures >= OFFLINE_AFTER || !navigator.onLine ? "offline" : "reconnecting");
        retryTimer = setTimeout(connect, RETRY_MS[Math.min(failures, RETRY_MS.length) - 1] ?? 10_000);
      };
    };

    connect();
    return () => {
      clearTimeout(retryTimer);
      source?.close();
    };
  }, [limit]);

  return { messages, state, mustReload };
}

function startPosition(history: History | null): string {
  const newest = history?.messages[0];
  return history?.epoch && newest ? formatPosition(history.epoch, newest.seq) : "start";
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
