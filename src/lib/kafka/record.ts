import { z } from "zod";
import { boardRuleSchema, boardSchema, type Board, type BoardRule } from "../messages/boards";
import { messageChangeSchema, messageSchema, type Message, type MessageChange } from "../messages/schema";
import type { Reaction } from "../messages/reactions";

/** A record of the message topic: a message, or a change to one (never both), or why it is neither. */
export type DecodedRecord =
  { ok: true; message: Message; change?: never } | { ok: true; change: MessageChange; message?: never } | { ok: false; reason: string };

const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Keyed by board: Kafka orders records only within a partition, and one key always maps to one partition,
 * so every viewer of a board sees its messages in the one order the broker accepted them. (Keying by
 * message id would spread a board over partitions and lose that order.)
 */
export function encodeRecord(message: Message | MessageChange, requestId?: string): { key: string; value: string; headers?: Record<string, string> } {
  return { key: message.board, value: JSON.stringify(message), ...(requestId && { headers: { [REQUEST_ID_HEADER]: requestId } }) };
}

/** The record header that carries the id of the HTTP request that posted it, for following it in logs. */
export const REQUEST_ID_HEADER = "request-id";

/** Anything can sit on a topic; only a valid message or change comes out of here. */
export function decodeRecord(value: Buffer | null): DecodedRecord {
  const decoded = decodeJson(value, logRecordSchema, "a message");
  if (!decoded.ok) return decoded;
  const record = decoded.value;
  return record.kind === undefined ? { ok: true, message: record } : { ok: true, change: record };
}

// A record that says what kind of change it is is read as one, and only as one.
const logRecordSchema = z.union([messageChangeSchema, messageSchema.extend({ kind: z.undefined().optional() })]);

/** Keyed by message: one message's reactions stay in the order they were given, on one partition. */
export function encodeReactionRecord(reaction: Reaction): { key: string; value: string } {
  return { key: reaction.message, value: JSON.stringify(reaction) };
}

/** A board's creation record, or a change to its rules: keyed by its slug, so that every record of one board is in order. */
export function encodeBoardRecord(record: Board | BoardRule): { key: string; value: string } {
  return { key: "kind" in record ? record.board : record.slug, value: JSON.stringify(record) };
}

export type DecodedBoardRecord = { ok: true; board: Board; rule?: never } | { ok: true; rule: BoardRule; board?: never } | { ok: false; reason: string };

export function decodeBoardRecord(value: Buffer | null): DecodedBoardRecord {
  const decoded = decodeJson(value, boardRecordSchema, "a board");
  if (!decoded.ok) return decoded;
  const record = decoded.value;
  return record.kind === undefined ? { ok: true, board: record } : { ok: true, rule: record };
}

const boardRecordSchema = z.union([boardRuleSchema, boardSchema.extend({ kind: z.undefined().optional() })]);

/** A record's value as `schema` has it, or why it is not. */
export function decodeJson<T>(value: Buffer | null, schema: z.ZodType<T>, what: string): { ok: true; value: T } | { ok: false; reason: string } {
  if (!value || value.length === 0) return { ok: false, reason: "empty record" };
  let text: string;
  try {
    text = utf8.decode(value);
  } catch {
    return { ok: false, reason: "not UTF-8" };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, reason: "not JSON" };
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) return { ok: false, reason: `not ${what}: ${z.prettifyError(parsed.error).replaceAll("\n", " ")}` };
  return { ok: true, value: parsed.data };
}
