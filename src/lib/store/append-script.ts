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
 * KEYS: list, seq counter, applied-offsets hash, epoch, recent-ids sorted set
 * ARGV: list cap, channel, partition field, epoch to use if the store has none, number of ids to remember,
 *       then offset/id/entry triples in offset order, each entry a JSON object without `seq` and `storedAt`.
 * Returns the number of messages stored.
 */
export const APPEND_SCRIPT = `
local epoch = redis.call('GET', KEYS[4])
if not epoch then
  epoch = ARGV[4]
  redis.call('SET', KEYS[4], epoch)
end
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local applied = tonumber(redis.call('HGET', KEYS[3], ARGV[3]) or '-1')
local last = applied
local stored = 0
for i = 6, #ARGV, 3 do
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
  redis.call('ZREMRANGEBYRANK', KEYS[5], 0, -tonumber(ARGV[5]) - 1)
end
if last > applied then
  redis.call('HSET', KEYS[3], ARGV[3], last)
end
return stored
`;
