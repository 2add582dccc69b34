import type { Redis } from "ioredis";
import { errorFields, type Logger } from "../log";
import { LuaScript } from "./lua-script";

/**
 * A token bucket in Redis, so that every web instance draws from the same one: `burst` tokens, refilled at
 * `perMinute`; each post takes one. Redis's clock decides, not the instances'.
 *
 * KEYS: bucket   ARGV: burst, per minute
 * Returns { 1, 0 } when allowed, { 0, milliseconds until a token is back } when not.
 */
const TOKEN_BUCKET = new LuaScript(`
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local burst = tonumber(ARGV[1])
local perMs = tonumber(ARGV[2]) / 60000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or burst
local at = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) * perMs)
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
else
  wait = math.ceil((1 - tokens) / perMs)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', now)
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / perMs) + 1000)
if wait > 0 then return { 0, wait } end
return { 1, 0 }
`);

export type RateDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };
export type RateLimits = { perMinute: number; burst: number };

export class RateLimiter {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly limits: RateLimits,
    private readonly log: Logger,
  ) {}

  /**
   * Takes a token for `client`. Fails open: with Redis unreachable a post is let through (it needs only
   * Kafka), since refusing everyone would be worse than limiting no one for a while.
   */
  async take(client: string): Promise<RateDecision> {
    // Connection lost: do not make the post wait for a reconnect that may take seconds.
    if (["reconnecting", "close", "end"].includes(this.redis.status)) return this.unchecked(`Redis is ${this.redis.status}`);
    try {
      const reply = await TOKEN_BUCKET.run(this.redis, [`${this.prefix}:${client}`], [this.limits.burst, this.limits.perMinute]);
      const [allowed, waitMs] = Array.isArray(reply) ? reply.map(Number) : [1, 0];
      return allowed === 1 ? { allowed: true } : { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((waitMs ?? 1000) / 1000)) };
    } catch (error) {
      return this.unchecked(String(errorFields(error).error));
    }
  }

  private unchecked(why: string): RateDecision {
    this.log.warn("rate limit not checked: Redis unreachable", { why });
    return { allowed: true };
  }
}
