import type { Config } from "../config";

/** The Redis names of one board's store. Everything but the list and the channel derives from the list. */
export type StoreKeys = {
  list: string;
  channel: string;
  seq: string;
  applied: string;
  epoch: string;
  ids: string;
  /** Prefix of the rate-limit buckets, one per client address. */
  rate: string;
};

export function storeKeys(config: Pick<Config, "REDIS_MESSAGES_KEY" | "REDIS_CHANNEL">): StoreKeys {
  const list = config.REDIS_MESSAGES_KEY;
  return {
    list,
    channel: config.REDIS_CHANNEL,
    seq: `${list}:seq`,
    applied: `${list}:applied`,
    epoch: `${list}:epoch`,
    ids: `${list}:ids`,
    rate: `${list}:rate`,
  };
}
