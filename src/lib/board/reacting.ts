import { z } from "zod";
import { produced } from "./produced";
import type { Logger } from "../log";
import { emojiSchema, type Reaction } from "../messages/reactions";
import { messageIdSchema } from "../messages/schema";
import type { RateDecision } from "../store/rate-limit";
import { takeAllowance } from "./allowance";
import { BoardError, issuesByField } from "./errors";

export type ReactingDeps = {
  /** The board a message is on, if there is such a message. */
  boardOf(id: string): Promise<string | undefined>;
  produce(reaction: Reaction): Promise<unknown>;
  limiter: { take(client: string): Promise<RateDecision> };
  log: Logger;
};

export type Reacting = {
  /** Takes one reaction from the client's allowance, or refuses. */
  admit(client: string): Promise<void>;
  /** Gives (`on`) or takes back a reaction; resolves once the broker has it. */
  react(input: { id: string; emoji: string; reactor: string; on: boolean }): Promise<void>;
};

const reactionPathSchema = z.object({ id: messageIdSchema, emoji: emojiSchema });

/** Reactions as the web process takes them: checked here, counted by the processor from the log. */
export function createReacting({ boardOf, produce, limiter, log }: ReactingDeps): Reacting {
  return {
    admit: (client) => takeAllowance(limiter, client, "reactions"),

    async react({ id, emoji, reactor, on }) {
      const parsed = reactionPathSchema.safeParse({ id, emoji });
      if (!parsed.success) {
        const { fields, summary } = issuesByField(parsed.error);
        throw new BoardError("invalid_reaction", summary, { fields });
      }
      const board = await boardOf(parsed.data.id);
      if (!board) throw new BoardError("unknown_message", "There is no message with this id.");
      const reaction = { message: parsed.data.id, board, emoji: parsed.data.emoji, reactor, on, at: new Date().toISOString() };
      await produced(() => produce(reaction), { log, what: "reaction", refusal: "Kafka did not accept the reaction; try again shortly." });
    },
  };
}
