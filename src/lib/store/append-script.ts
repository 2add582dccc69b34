/**
 * Stores a run of records from one Kafka partition and publishes each, atomically.
 *
 * Idempotent twice over. By Kafka position: the hash `applied` remembers the highest offset stored per
 * partition, and a record at or below it is skipped, so a consumer that replays a batch (after a crash, a
 * rebalance, or a reset to the beginning of the topic) changes nothing and publishes nothing. By message id:
 * the sorted set `ids` remembers the most recent ids, so a message that reached the topic twice (a client
 * retried a post whose acknowledgement it never got) is stored once. A script runs without any other
 * command in between, so readers never see a message stored but not published, or the reverse.
 *
 * It refuses to leave a hole. A store without an epoch lost its data (or never had any) and must be
 * refilled first (SEED_SCRIPT); a run that starts past the record after `applied` comes after records the
 * store lost (Redis restarted without its last writes), which the consumer reads again first.
 *
 * KEYS: list, seq counter, applied-offsets hash, epoch, recent-ids sorted set
 * ARGV: list cap, channel, partition field, first and last offset of the run (records that are not
 *       messages included), number of ids to remember, then offset/id/entry triples in offset order, each
 *       entry a JSON object without `seq` and `storedAt`.
 * Returns the number of messages stored; -1: the store needs refilling; -2: records before the run are missing.
 */
export const APPEND_SCRIPT = `
local epoch = redis.call('GET', KEYS[4])
if not epoch then
  return -1
end
local known = redis.call('HGET', KEYS[3], ARGV[3])
if known and tonumber(ARGV[4]) > tonumber(known) + 1 then
  return -2
end
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local applied = tonumber(known or '-1')
local last = applied
local stored = 0
for i = 7, #ARGV, 3 do
  local offset = tonumber(ARGV[i])
  if offset > last then
    last = offset
    if not redis.call('ZSCORE', KEYS[5], ARGV[i + 1]) then
      local seq = redis.call('INCR', KEYS[2])
      local entry = '{"seq":' .. seq .. ',"storedAt":' .. now .. ',' .. string.sub(ARGV[i + 2], 2)
      redis.call('LPUSH', KEYS[1], entry)
      redis.call('ZADD', KEYS[5], seq, ARGV[i + 1])
      redis.call('PUBLISH', ARGV[2], '{"epoch":"' .. epoch .. '","message":' .. entry .. '}')
      stored = stored + 1
    end
  end
end
if stored > 0 then
  redis.call('LTRIM', KEYS[1], 0, tonumber(ARGV[1]) - 1)
  redis.call('ZREMRANGEBYRANK', KEYS[5], 0, -tonumber(ARGV[6]) - 1)
end
last = math.max(last, tonumber(ARGV[5]))
if last > applied then
  redis.call('HSET', KEYS[3], ARGV[3], last)
end
return stored
`;

/**
 * Refills an empty store: a new epoch, the newest messages known elsewhere (oldest first), and for each
 * partition the offset they reach, from where the consumers go on. Does nothing if the store has an epoch
 * (another consumer refilled it first). The newest message is published, so that every viewer learns of
 * the new epoch and loads the refilled list.
 *
 * KEYS: list, seq counter, applied-offsets hash, epoch, recent-ids sorted set
 * ARGV: new epoch, list cap, channel, number of partitions P, then P partition field/offset pairs, then
 *       id/entry pairs oldest first, each entry a JSON object without `seq` and `storedAt`.
 * Returns 1 if it refilled the store, 0 if it found one.
 */
export const SEED_SCRIPT = `
if redis.call('GET', KEYS[4]) then
  return 0
end
redis.call('DEL', KEYS[1], KEYS[3], KEYS[5])
redis.call('SET', KEYS[4], ARGV[1])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local partitions = tonumber(ARGV[4])
for i = 5, 4 + 2 * partitions, 2 do
  redis.call('HSET', KEYS[3], ARGV[i], ARGV[i + 1])
end
local newest = nil
for i = 5 + 2 * partitions, #ARGV, 2 do
  local seq = redis.call('INCR', KEYS[2])
  newest = '{"seq":' .. seq .. ',"storedAt":' .. now .. ',' .. string.sub(ARGV[i + 1], 2)
  redis.call('LPUSH', KEYS[1], newest)
  redis.call('ZADD', KEYS[5], seq, ARGV[i])
end
redis.call('LTRIM', KEYS[1], 0, tonumber(ARGV[2]) - 1)
if newest then
  redis.call('PUBLISH', ARGV[3], '{"epoch":"' .. ARGV[1] .. '","message":' .. newest .. '}')
end
return 1
`;
