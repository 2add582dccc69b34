import type { ConnectionState } from "./useBoardStream";

const LOOK: Record<ConnectionState, { label: string; dot: string; text: string }> = {
  connecting: { label: "Connecting…", dot: "bg-board-muted", text: "text-board-muted" },
  live: { label: "Live", dot: "bg-board-live", text: "text-board-live" },
  reconnecting: { label: "Reconnecting…", dot: "bg-board-warn animate-pulse", text: "text-board-warn" },
  offline: { label: "Offline", dot: "bg-board-down", text: "text-board-down" },
};

export function ConnectionBadge({ state }: { state: ConnectionState }) {
  const look = LOOK[state];
  return (
    <p role="status" data-state={state} className={`flex items-center gap-2 text-sm font-medium ${look.text}`}>
      <span aria-hidden="true" className={`size-2.5 rounded-full ${look.dot}`} />
      {look.label}
    </p>
  );
}
