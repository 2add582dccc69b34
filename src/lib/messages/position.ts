/**
 * A viewer's place on the board, as carried by the SSE `id:` field and the stream's `after` parameter:
 * `<epoch>-<seq>`, or `start` for "everything the store still holds".
 */
export type Position = { epoch: string | null; seq: number };

export const START: Position = { epoch: null, seq: 0 };

const POSITION = /^([a-z0-9]{1,32})-(\d{1,15})$/;

export function formatPosition(epoch: string, seq: number): string {
  return `${epoch}-${seq}`;
}

export function parsePosition(value: string | null | undefined): Position | null {
  if (!value) return null;
  if (value === "start") return START;
  const match = POSITION.exec(value);
  if (!match?.[1] || !match[2]) return null;
  return { epoch: match[1], seq: Number(match[2]) };
}
