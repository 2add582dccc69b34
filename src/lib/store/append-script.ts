/**
 * Stores a run of records from one Kafka partition and publishes each, atomically.
 *
 * Idempotent by Kafka position: the hash `applied` remembers the highest offset stored per partition, and a
 * record at or below it is skipped, so a consumer that replays a batch (after a crash, a rebalance, or a
 * reset to the beginning of the topic) changes nothing and publishes nothing. A script runs without any
 * other command in between, so readers never see a message stored but not published, or the reverse.
 *
 * KEYS: list, seq counter, applied-offsets hash, epoch
 * ARGV: list cap, channel, partition field, epoch to use if the store has none, then offset/entry pairs
 *       in offset order, each entry a JSON object without `seq`.
 * Returns the number of records stored.
 */
export const APPEND_SCRIPT = `
local epoch = redis.call('GET', KEYS[4])
if not epoch then
  epoch = ARGV[4]
  redis.call('SET', KEYS[4], epoch)
end
local applied = tonumber(redis.call('HGET', KEYS[3], ARGV[3]) or '-1')
local stored = 0
for i = 5, #ARGV, 2 do
  local offset = tonumber(ARGV[i])
  if offset > applied then
    local seq = redis.call('INCR', KEYS[2])
    local entry = '{"seq":' .. seq .. ',' .. string.sub(ARGV[i + 1], 2)
    redis.call('LPUSH', KEYS[1], entry)
    redis.call('PUBLISH', ARGV[2], '{"epoch":"' .. epoch .. '","message":' .. entry .. '}')
    applied = offset
    stored = stored + 1
  end
end
if stored > 0 then
  redis.call('LTRIM', KEYS[1], 0, tonumber(ARGV[1]) - 1)
  redis.call('HSET', KEYS[3], ARGV[3], applied)
end
return stored
`;
