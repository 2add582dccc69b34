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
 * Each message goes to its board's list under the board's next position. Positions are given here, one
 * board at a time, so a board whose records sit on two partitions still has one order: the order in which
 * its records were stored, the same for every viewer.
 *
 * It refuses to leave a hole. A store without an epoch lost its data (or never had any) and must be
 * refilled first (SEED_SCRIPT); a run that starts past the record after `applied` comes after records the
 * store lost (Redis restarted without its last writes), which the consumer reads again first.
 *
 * It refuses records of another log: `applied` holds positions in the log the store follows (`log`), and
 * in another log (a topic made again, another cluster) the same offsets are other records.
 *
 * KEYS: applied-offsets hash, epoch, recent-ids sorted set, activity hash, the log followed, then the list
 *       and position counter of each board in the run
 * ARGV: list cap, channel, partition field, first and last offset of the run (records that are not
 *       messages included), number of ids to remember, the log the records come from, then the boards'
 *       slugs B, then offset/id/board/entry quadruples in offset order, board being the board's number (1 to
 *       B) and each entry a JSON object without `seq` and `storedAt`.
 * Returns the number of messages stored; -1: the store needs refilling; -2: records before the run are
 * missing; -3: the store follows another log.
 */
export const APPEND_SCRIPT = `
local epoch = redis.call('GET', KEYS[2])
if not epoch then
  return -1
end
if redis.call('GET', KEYS[5]) ~= ARGV[7] then
  return -3
end
local known = redis.call('HGET', KEYS[1], ARGV[3])
if known and tonumber(ARGV[4]) > tonumber(known) + 1 then
  return -2
end
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local boards = tonumber(ARGV[8])
local applied = tonumber(known or '-1')
local last = applied
local stored = 0
local touched = {}
for i = 9 + boards, #ARGV, 4 do
  local offset = tonumber(ARGV[i])
  if offset > last then
    last = offset
    if not redis.call('ZSCORE', KEYS[3], ARGV[i + 1]) then
      local board = tonumber(ARGV[i + 2])
      local seq = redis.call('INCR', KEYS[5 + 2 * board])
      local entry = '{"seq":' .. seq .. ',"storedAt":' .. now .. ',' .. string.sub(ARGV[i + 3], 2)
      redis.call('LPUSH', KEYS[4 + 2 * board], entry)
      redis.call('ZADD', KEYS[3], now, ARGV[i + 1])
      redis.call('HSET', KEYS[4], ARGV[8 + board], now)
      redis.call('PUBLISH', ARGV[2], '{"epoch":"' .. epoch .. '","message":' .. entry .. '}')
      touched[board] = true
      stored = stored + 1
    end
  end
end
for board in pairs(touched) do
  redis.call('LTRIM', KEYS[4 + 2 * board], 0, tonumber(ARGV[1]) - 1)
end
if stored > 0 then
  redis.call('ZREMRANGEBYRANK', KEYS[3], 0, -tonumber(ARGV[6]) - 1)
end
last = math.max(last, tonumber(ARGV[5]))
if last > applied then
  redis.call('HSET', KEYS[1], ARGV[3], last)
end
return stored
`;

/**
 * Refills an empty store: a new epoch, the newest messages of each board known elsewhere (oldest first),
 * and for each partition the offset they reach, from where the consumers go on. Does nothing if the store
 * has an epoch (another consumer refilled it first). Each board's newest message is published, so that its
 * viewers learn of the new epoch and load the refilled list. The offsets are positions in one log, which
 * the store then follows; a store that follows another one is not refilled (its follower decides).
 *
 * KEYS: applied-offsets hash, epoch, recent-ids sorted set, activity hash, the log followed, then the list
 *       and position counter of every board to refill (their old lists are dropped)
 * ARGV: new epoch, list cap, channel, the log of the offsets, number of partitions P, then P partition
 *       field/offset pairs, then the boards' slugs B, then id/board/entry triples oldest first, each entry a
 *       JSON object without `seq` and `storedAt`.
 * Returns 1 if it refilled the store, 0 if it found one, -3 if the store follows another log.
 */
export const SEED_SCRIPT = `
if redis.call('GET', KEYS[2]) then
  return 0
end
local followed = redis.call('GET', KEYS[5])
if followed and followed ~= ARGV[4] then
  return -3
end
redis.call('SET', KEYS[5], ARGV[4])
redis.call('DEL', KEYS[1], KEYS[3])
redis.call('SET', KEYS[2], ARGV[1])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local partitions = tonumber(ARGV[5])
for i = 6, 5 + 2 * partitions, 2 do
  redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
end
local slugs = 6 + 2 * partitions
local boards = tonumber(ARGV[slugs])
for board = 1, boards do
  redis.call('DEL', KEYS[4 + 2 * board])
end
local newest = {}
for i = slugs + boards + 1, #ARGV, 3 do
  local board = tonumber(ARGV[i + 1])
  local seq = redis.call('INCR', KEYS[5 + 2 * board])
  local entry = '{"seq":' .. seq .. ',"storedAt":' .. now .. ',' .. string.sub(ARGV[i + 2], 2)
  redis.call('LPUSH', KEYS[4 + 2 * board], entry)
  redis.call('ZADD', KEYS[3], now, ARGV[i])
  redis.call('HSET', KEYS[4], ARGV[slugs + board], now)
  newest[board] = entry
end
for board, entry in pairs(newest) do
  redis.call('LTRIM', KEYS[4 + 2 * board], 0, tonumber(ARGV[2]) - 1)
  redis.call('PUBLISH', ARGV[3], '{"epoch":"' .. ARGV[1] .. '","message":' .. entry .. '}')
end
return 1
`;

/**
 * Adds boards from a run of the boards topic, and announces each new one; applies changes to boards' rules
 * (one field of the board's rules hash set or removed each) and announces those too. The first record of
 * a slug makes the board; a later one changes nothing, so reading the topic again gives the same boards. A
 * run that starts past the record after the one last applied is refused (-2), as for messages: the
 * consumer reads the boards topic again from where the list of boards stops (its start, once the list is
 * lost). A run of another log than the one the list follows is refused (-3).
 *
 * KEYS: boards hash, applied offset, the log followed, then the rules hash of each board the run changes
 * ARGV: channel, first and last offset of the run, the log of the run, then six for each record, in offset
 *       order: offset, slug, the record, then for a board '' '' '', for a rule the field it changes, the
 *       number of its rules key among KEYS and the field's new value ('' to remove the field).
 * Returns how many boards were new, or -2, or -3.
 */
export const REGISTER_SCRIPT = `
if redis.call('GET', KEYS[3]) ~= ARGV[4] then
  return -3
end
local known = tonumber(redis.call('GET', KEYS[2]) or '-1')
if tonumber(ARGV[2]) > known + 1 then
  return -2
end
local created = 0
for i = 5, #ARGV, 6 do
  if tonumber(ARGV[i]) > known then
    if ARGV[i + 3] == '' then
      if redis.call('HSETNX', KEYS[1], ARGV[i + 1], ARGV[i + 2]) == 1 then
        redis.call('PUBLISH', ARGV[1], ARGV[i + 2])
        created = created + 1
      end
    else
      local rules = KEYS[tonumber(ARGV[i + 4])]
      local value = ARGV[i + 5]
      if value == '' then
        redis.call('HDEL', rules, ARGV[i + 3])
      else
        redis.call('HSET', rules, ARGV[i + 3], value)
      end
      redis.call('PUBLISH', ARGV[1], ARGV[i + 2])
    end
  end
end
if tonumber(ARGV[3]) > known then
  redis.call('SET', KEYS[2], ARGV[3])
end
return created
`;

/**
 * Makes a view follow another log (or record, for the first time, the log it follows), unless another
 * process did so first: compare and set, with the view's keys dropped in the same step when it was read
 * from another log.
 *
 * KEYS: the log followed, then the view's keys to drop   ARGV: the log it follows now ('' for none), the
 * log to follow, 'clear' or 'keep'.  Returns 1 if it changed the view, 0 if it followed another log meanwhile.
 */
export const FOLLOW_SCRIPT = `
if (redis.call('GET', KEYS[1]) or '') ~= ARGV[1] then
  return 0
end
if ARGV[3] == 'clear' and #KEYS > 1 then
  redis.call('DEL', unpack(KEYS, 2))
end
redis.call('SET', KEYS[1], ARGV[2])
return 1
`;
