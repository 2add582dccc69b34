import type { MessageReactions, Reaction } from "../messages/reactions";

/**
 * Who gave what, per message, for the messages of the partitions this processor owns. A reaction is a
 * set membership: giving twice or taking back what was not given changes nothing, so a record counts once
 * per person however often a client sends it.
 */
export class ReactionState {
  private readonly messages = new Map<string, MessageReactions>();

  /** Applies one reaction; the message's new state if it changed, undefined if not. */
  apply(reaction: Reaction): MessageReactions | undefined {
    const { message, board, emoji, reactor, on } = reaction;
    const state = this.messages.get(message) ?? { message, board, given: {} };
    const reactors = state.given[emoji] ?? [];
    const has = reactors.includes(reactor);
    if (has === on) return undefined;
    const next = on ? [...reactors, reactor] : reactors.filter((each) => each !== reactor);
    const given = { ...state.given, [emoji]: next };
    if (next.length === 0) delete given[emoji];
    const changed = { message, board: state.board, given };
    this.messages.set(message, changed);
    return changed;
  }

  clear(): void {
    this.messages.clear();
  }
}
