import type { Redis } from "ioredis";
import { LuaScript } from "./lua-script";
import type { StoreKeys } from "./keys";

/**
 * Records how many streams of one web process follow each of some boards, and returns how many follow each
 * across every process. A process's counts count while it renews them: each call sets when they lapse
 * (`ttlMs` from Redis's own clock, so that the web hosts' clocks do not matter; 0 takes them back at once),
 * and counts of processes that lapsed are dropped as they are met. A process that died stops counting
 * within `ttlMs` of its last call.
 *
 * KEYS: the processes' sorted set, then each board's hash
 * ARGV: process id, ttl (ms), then this process's count on each board, in the same order
 */
const READERS_SCRIPT = new LuaScript(`
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
if tonumber(ARGV[2]) > 0 then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
else
  redis.call('ZREM', KEYS[1], ARGV[1])
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local totals = {}
for i = 2, #KEYS do
  local count = tonumber(ARGV[i + 1])
  if count > 0 and tonumber(ARGV[2]) > 0 then
    redis.call('HSET', KEYS[i], ARGV[1], count)
  else
    redis.call('HDEL', KEYS[i], ARGV[1])
  end
  local total = 0
  local fields = redis.call('HGETALL', KEYS[i])
  for j = 1, #fields, 2 do
    if redis.call('ZSCORE', KEYS[1], fields[j]) then
      total = total + tonumber(fields[j + 1])
    else
      redis.call('HDEL', KEYS[i], fields[j])
    end
  end
  totals[#totals + 1] = total
end
return totals
`);

/** This process's counts on `counts`' boards recorded, and each board's count across every process. */
export async function syncReaders(
  redis: Redis,
  keys: StoreKeys,
  process: { id: string; ttlMs: number },
  counts: ReadonlyMap<string, number>,
): Promise<Map<string, number>> {
  const boards = [...counts.keys()];
  const totals = (await READERS_SCRIPT.run(
    redis,
    [keys.readers, ...boards.map((board) => keys.boardReaders(board))],
    [process.id, process.ttlMs, ...boards.map((board) => counts.get(board) ?? 0)],
  )) as number[];
  return new Map(boards.map((board, i) => [board, totals[i] ?? 0]));
}
