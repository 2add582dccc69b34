import type { Acknowledgement } from "../kafka/producer";
import { produced } from "./produced";
import type { Logger } from "../log";
import type { Person } from "../accounts/people";
import { createMessage } from "../messages/create";
import { newMessageSchema, type Message } from "../messages/schema";
import type { WebMetrics } from "../metrics/web-metrics";
import type { RateDecision } from "../store/rate-limit";
import { takeAllowance } from "./allowance";
import { BoardError, issuesByField } from "./errors";

export type PostingDeps = {
  /** Where a post that names no board goes. */
  defaultBoard: string;
  boards: { require(slug: string): Promise<void> };
  producer: { publish(message: Message, requestId?: string): Promise<Acknowledgement> };
  limiter: { take(client: string): Promise<RateDecision> };
  /** Whether an account goes by a name, which a guest may then not post under. */
  nameTaken(name: string): Promise<boolean>;
  /** Refuses a post the board's rules do not allow (locked, accounts only, banned). */
  admit(board: string, author: Person | undefined, sender: string): Promise<void>;
  metrics: Pick<WebMetrics, "accepted" | "produceSeconds">;
  /** Told of every post the broker acknowledged, and the digest of the address it came from. */
  onAccepted?: (message: Message, sender: string) => void;
  log: Logger;
};

export type Posting = {
  /** Takes one post from the client's allowance, or refuses. Cheap, so it comes before the body is read. */
  admit(client: string): Promise<void>;
  /**
   * Validates a post and produces it; resolves once every in-sync replica has it. A signed-in author's
   * post carries their account and name, whatever name the body gives.
   */
  post(input: unknown, requestId: string, author: Person | undefined, sender: string): Promise<Message>;
};

export function createPosting({ defaultBoard, boards, producer, limiter, nameTaken, admit, metrics, onAccepted, log }: PostingDeps): Posting {
  return {
    admit: (client) => takeAllowance(limiter, client, "posts"),

    async post(input, requestId, author, sender) {
      const parsed = newMessageSchema.safeParse(input);
      if (!parsed.success) {
        const { fields, summary } = issuesByField(parsed.error);
        throw new BoardError("invalid_message", summary, { fields });
      }
      const board = parsed.data.board ?? defaultBoard;
      await boards.require(board);
      const { author: name } = parsed.data;
      if (!author && name !== undefined && (await nameTaken(name))) {
        throw new BoardError("name_taken", `"${name}" is an account's name: sign in as them, or post under another name.`, {
          fields: { author: "this name belongs to an account" },
        });
      }
      await admit(board, author, sender);
      const message = createMessage(author ? { ...parsed.data, author: author.name } : parsed.data, board);
      if (author) message.account = { id: author.id, name: author.name };
      const stopTimer = metrics.produceSeconds.startTimer();
      const { partition, offset } = await produced(() => producer.publish(message, requestId), {
        log,
        what: "post",
        refusal: "Kafka did not accept the message; it was not posted. Try again shortly.",
        fields: { requestId },
      });
      stopTimer();
      metrics.accepted.inc();
      onAccepted?.(message, sender);
      log.debug("accepted message", { id: message.id, board, partition, offset, requestId });
      return message;
    },
  };
}
