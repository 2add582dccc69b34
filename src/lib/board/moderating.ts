import { randomUUID } from "node:crypto";
import { z } from "zod";
import type { Person } from "../accounts/people";
import { produced } from "./produced";
import type { Logger } from "../log";
import type { BoardRule, BoardRules } from "../messages/boards";
import { messageIdSchema, messageTextSchema, type Message, type MessageChange } from "../messages/schema";
import { BoardError, issuesByField } from "./errors";

export type ModeratingDeps = {
  /** A message as readers see it now (edits applied); undefined if there is none or it was deleted. */
  find(id: string): Promise<Message | undefined>;
  boards: {
    require(slug: string): Promise<void>;
    ownerOf(slug: string): Promise<string | undefined>;
    rules(slug: string): Promise<BoardRules>;
    changeRules(rule: BoardRule): Promise<void>;
  };
  /** Whether there is an account with this id. */
  accountExists(id: string): Promise<boolean>;
  /** The digest of the address a message was posted from, while it is known. */
  senderOf(id: string): Promise<string | undefined>;
  /** Produces a change on the message topic; resolves once every in-sync replica has it. */
  produce(change: MessageChange): Promise<unknown>;
  /** How long after posting an author may edit. */
  editWindowMs: number;
  log: Logger;
};

/** What someone is on a board: its owner, one of its moderators, or (on every board) an administrator. */
export type Role = "admin" | "owner" | "moderator";

export type Moderating = {
  /** The author, the board's owner, its moderators or an administrator deletes a message. */
  remove(id: string, actor: Person | undefined): Promise<void>;
  /** The author edits a message within the edit window; resolves to the message as it now reads. */
  edit(id: string, input: unknown, actor: Person | undefined): Promise<Message>;
  /** What `actor` is on `board`, if anything. */
  roleOn(board: string, actor: Person | undefined): Promise<Role | undefined>;
  /** The owner (or an administrator) names or drops a moderator. */
  setModerator(board: string, account: string, on: boolean, actor: Person | undefined): Promise<void>;
  /** Owner, moderators and administrators: `locked` stops everyone else posting; `guests` (owner and administrators only) lets guests post or not. */
  setRules(board: string, input: unknown, actor: Person | undefined): Promise<void>;
  /** Bans the author of a message (their account, or the address a guest posted from), or an account, from posting to the board. */
  ban(board: string, input: unknown, actor: Person | undefined): Promise<{ subject: string; until: string | null }>;
  unban(board: string, subject: string, actor: Person | undefined): Promise<void>;
  /**
   * Refuses a post to a locked board (but from its owner, moderators and administrators), from a guest
   * where only accounts may post, and from an account banned from the board, or a guest whose address is.
   */
  admitPost(board: string, author: Person | undefined, sender: string): Promise<void>;
};

const editSchema = z.strictObject({ text: messageTextSchema });
// The accounts library's ids: letters and digits.
const accountIdSchema = z.string().regex(/^[\w-]{1,64}$/, "account must be an account's id");
const rulesSchema = z.strictObject({ locked: z.boolean().optional(), guests: z.boolean().optional() }).refine((rules) => Object.keys(rules).length > 0, {
  message: "say what to change: locked, guests or both",
});
const banSchema = z
  .strictObject({
    message: messageIdSchema.optional(),
    account: accountIdSchema.optional(),
    // How long; null or absent: for good.
    minutes: z.number().int().min(1).max(525_600).nullable().optional(),
  })
  .refine((ban) => (ban.message === undefined) !== (ban.account === undefined), { message: "ban either a message's author or an account" });

/**
 * Moderation as the web process takes it: the actor's right checked here, on the server, every time, and
 * each change made a record on the log (an edit or deletion on the message topic, a rule on the boards
 * topic), which every view applies in order.
 */
export function createModerating({ find, boards, accountExists, senderOf, produce, editWindowMs, log }: ModeratingDeps): Moderating {
  const signedIn = (actor: Person | undefined, doing: string): Person => {
    if (!actor) throw new BoardError("sign_in_required", `Sign in to ${doing}.`);
    return actor;
  };
  /** The message, once the id is one and the actor signed in; a refusal otherwise. */
  const target = async (id: string, asking: Person | undefined, doing: string) => {
    const actor = signedIn(asking, `${doing} messages`);
    if (!messageIdSchema.safeParse(id).success) throw unknownMessage();
    const message = await find(id);
    if (!message) throw unknownMessage();
    return { message, actor };
  };
  const roleOn = async (board: string, actor: Person | undefined): Promise<Role | undefined> => {
    if (!actor) return undefined;
    if (actor.admin) return "admin";
    if ((await boards.ownerOf(board)) === actor.id) return "owner";
    return (await boards.rules(board)).moderators.includes(actor.id) ? "moderator" : undefined;
  };
  /** The actor's role on an existing board, if it is one of `allowed`; a refusal otherwise. */
  const require = async (board: string, asking: Person | undefined, allowed: readonly Role[], doing: string) => {
    const actor = signedIn(asking, doing);
    await boards.require(board);
    const role = await roleOn(board, actor);
    if (!role || !allowed.includes(role))
      throw new BoardError("not_allowed", `Only the board's ${allowed.includes("moderator") ? "owner and moderators" : "owner"} may ${doing}.`);
    return actor;
  };
  const rule = (board: string, actor: Person) => ({ id: randomUUID(), board, at: new Date().toISOString(), by: actor.id });
  const send = (change: MessageChange) =>
    produced(() => produce(change), { log, what: change.kind, refusal: "Kafka did not accept the change; nothing was changed. Try again shortly." });
  const MODERATORS: Role[] = ["admin", "owner", "moderator"];
  const OWNERS: Role[] = ["admin", "owner"];

  return {
    roleOn,

    async admitPost(board, author, sender) {
      const rules = await boards.rules(board);
      if (!author && !rules.guests) throw new BoardError("sign_in_required", "This board takes posts from signed-in accounts only: sign in to post.");
      // An address is banned for guests only: many may share it (a household, an office), and an account
      // answers for itself.
      for (const subject of [author ? `account:${author.id}` : `address:${sender}`]) {
        if (!rules.bans.has(subject)) continue;
        const until = rules.bans.get(subject) ?? null;
        if (until !== null && until <= Date.now()) continue;
        throw new BoardError(
          "banned",
          until === null
            ? "You have been banned from posting to this board."
            : `You have been banned from posting to this board until ${new Date(until).toUTCString()}.`,
        );
      }
      if (rules.locked && !(await roleOn(board, author))) throw new BoardError("board_locked", "This board is locked: only its owner and moderators may post.");
    },

    async remove(id, asking) {
      const { message, actor } = await target(id, asking, "delete");
      if (message.account?.id !== actor.id && !(await roleOn(message.board, actor))) {
        throw new BoardError("not_allowed", "Only its author, the board's owner or moderators and administrators may delete this message.");
      }
      await send({ kind: "delete", ...rule(message.board, actor), target: message.id });
      log.info("message deleted", { id: message.id, board: message.board, by: actor.id });
    },

    async edit(id, input, asking) {
      const { message, actor } = await target(id, asking, "edit");
      if (message.account?.id !== actor.id) throw new BoardError("not_allowed", "Only its author may edit a message.");
      const parsed = editSchema.safeParse(input);
      if (!parsed.success) throw invalid("invalid_edit", parsed.error);
      if (Date.now() - Date.parse(message.createdAt) > editWindowMs) {
        throw new BoardError("edit_window_closed", `A message can be edited for ${Math.round(editWindowMs / 60_000)} minutes after it is posted.`);
      }
      const edit = { kind: "edit" as const, ...rule(message.board, actor), target: message.id, text: parsed.data.text };
      await send(edit);
      return { ...message, text: edit.text, editedAt: edit.at };
    },

    async setModerator(board, account, on, asking) {
      const actor = await require(board, asking, OWNERS, "name moderators");
      if (!accountIdSchema.safeParse(account).success) throw new BoardError("invalid_rule", "account must be an account's id");
      if (on && !(await accountExists(account))) throw unknownAccount();
      await boards.changeRules({ kind: "moderator", ...rule(board, actor), account, on });
    },

    async setRules(board, input, asking) {
      const parsed = rulesSchema.safeParse(input);
      const actor = await require(board, asking, parsed.success && parsed.data.guests !== undefined ? OWNERS : MODERATORS, "change the board's rules");
      if (!parsed.success) throw invalid("invalid_rule", parsed.error);
      const { locked, guests } = parsed.data;
      if (locked !== undefined) await boards.changeRules({ kind: "lock", ...rule(board, actor), locked });
      if (guests !== undefined) await boards.changeRules({ kind: "guests", ...rule(board, actor), allowed: guests });
    },

    async ban(board, input, asking) {
      const actor = await require(board, asking, MODERATORS, "ban");
      const parsed = banSchema.safeParse(input);
      if (!parsed.success) throw invalid("invalid_rule", parsed.error);
      const { message: id, account, minutes } = parsed.data;
      if (account !== undefined && !(await accountExists(account))) throw unknownAccount();
      let subject = account && `account:${account}`;
      if (id) {
        const message = await find(id);
        if (!message || message.board !== board) throw unknownMessage();
        const sender = message.account ? undefined : await senderOf(id);
        subject = message.account ? `account:${message.account.id}` : sender && `address:${sender}`;
        if (!subject) throw new BoardError("unknown_message", "Where this guest's message came from is no longer known; ban them by a newer one.");
      }
      const banned = subject!.slice("account:".length);
      if (subject!.startsWith("account:") && (banned === actor.id || (await boards.ownerOf(board)) === banned)) {
        throw new BoardError("not_allowed", "The board's owner, and you, cannot be banned from it.");
      }
      const until = minutes ? new Date(Date.now() + minutes * 60_000).toISOString() : null;
      await boards.changeRules({ kind: "ban", ...rule(board, actor), subject: subject!, until });
      log.info("banned from a board", { board, by: actor.id, for: minutes ?? "good" });
      return { subject: subject!, until };
    },

    async unban(board, subject, asking) {
      const actor = await require(board, asking, MODERATORS, "lift bans");
      if (!/^(account|address):[\w-]{1,64}$/.test(subject)) throw new BoardError("invalid_rule", "a ban is for account:<id> or address:<digest>");
      await boards.changeRules({ kind: "unban", ...rule(board, actor), subject });
    },
  };
}

const unknownMessage = () => new BoardError("unknown_message", "There is no message with this id.");
const unknownAccount = () => new BoardError("unknown_account", "There is no account with this id.");

function invalid(code: "invalid_edit" | "invalid_rule", error: z.ZodError): BoardError {
  const { fields, summary } = issuesByField(error);
  return new BoardError(code, summary, { fields });
}
