import type { Redis } from "ioredis";
import { z } from "zod";
import { FOLLOW_SCRIPT } from "./append-script";
import type { StoreKeys } from "./keys";
import { LuaScript } from "./lua-script";
import { safeJson } from "../safe-json";

const follow = new LuaScript(FOLLOW_SCRIPT);

/**
 * Records `to` as the log the view under `logKey` follows, dropping `drop` in the same step, unless the view
 * no longer follows `from` (null: none); see FOLLOW_SCRIPT. Resolves to whether it changed the view.
 */
export async function followLog(redis: Redis, logKey: string, drop: readonly string[], from: string | null, to: string): Promise<boolean> {
  const clear = drop.length > 0 ? "clear" : "keep";
  return Number(await follow.run(redis, [logKey, ...drop], [from ?? "", to, clear])) === 1;
}

/** The keys of the message store that hold positions or what was read at them (the list of boards aside). */
export const storeDataKeys = (keys: StoreKeys, boards: readonly string[]) => [
  keys.applied,
  keys.epoch,
  keys.ids,
  keys.activity,
  ...boards.flatMap((slug) => Object.values(keys.board(slug))),
];

const noticeSchema = z.object({ sentence: z.string(), until: z.number() });

/** Sentences of views being rebuilt, each lasting until renewed or cleared. */
export function rebuildNotices(redis: Redis, keys: StoreKeys) {
  return {
    set: async (view: string, sentence: string, forMs: number) =>
      void (await redis.hset(keys.rebuilding, view, JSON.stringify({ sentence, until: Date.now() + forMs }))),
    clear: async (view: string) => void (await redis.hdel(keys.rebuilding, view)),
  };
}

/** What each view being rebuilt says now; a notice no consumer renewed has lapsed. */
export async function readRebuildNotices(redis: Pick<Redis, "hvals">, keys: Pick<StoreKeys, "rebuilding">): Promise<string[]> {
  const now = Date.now();
  return (await redis.hvals(keys.rebuilding)).flatMap((value) => {
    const notice = noticeSchema.safeParse(safeJson(value));
    return notice.success && notice.data.until > now ? [notice.data.sentence] : [];
  });
}
