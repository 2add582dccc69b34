import { randomUUID } from "node:crypto";
import kafkajs, { type Admin, type Kafka, type KafkaMessage } from "kafkajs";
import type { Logger } from "../log";
import type { MessageChange } from "../messages/schema";
import { decodeRecord, encodeRecord } from "./record";

/** What erasure did: records read and written per partition, and how many of them it replaced. */
export type Erasure = { records: number; replaced: number; partitions: number };

type Settings = { name: string; value: string }[];

// kafkajs is CommonJS: its enums are found on its default export only.
const { ConfigResourceTypes, ConfigSource } = kafkajs;

/**
 * Makes messages' text unrecoverable from the log: the topic is written again without it, each record of
 * the messages (the post and every edit of it) replaced by a deletion, every other record kept, in its
 * partition and order, with its key, headers and original time. Kafka cannot change a record in place,
 * and a board's key spreads no further than its partition, so the topic is copied aside, deleted, made
 * again under its name and copied back. Writes are refused meanwhile (a post gets 503 and its client sends
 * it again): the topic's min.insync.replicas is raised past its replicas, which every acks=all producer
 * hears, while the copies are written with acks=1. The views then find a new log under the name and rebuild
 * from it (src/lib/consumer/followed-log.ts).
 */
export async function eraseFromLog(kafka: Kafka, topic: string, ids: ReadonlySet<string>, log: Logger): Promise<Erasure> {
  const admin = kafka.admin();
  await admin.connect();
  const aside = `${topic}.erasing`;
  try {
    const { partitions, replicas, settings } = await describe(admin, topic);
    const frozen = String(replicas + 1);
    log.info("refusing writes to the topic while it is written again", { topic });
    await setConfig(admin, topic, [{ name: "min.insync.replicas", value: frozen }]);
    await untilFrozen(admin, topic, frozen);
    const before = await ends(admin, topic);

    await admin.deleteTopics({ topics: [aside] }).catch(() => {});
    await untilGone(admin, aside);
    await admin.createTopics({
      topics: [
        {
          topic: aside,
          numPartitions: partitions,
          replicationFactor: replicas,
          configEntries: [
            { name: "message.timestamp.type", value: "CreateTime" },
            { name: "retention.ms", value: "-1" },
          ],
        },
      ],
      waitForLeaders: true,
    });
    const out = await copy(kafka, admin, topic, aside, (record) => redact(record, ids));
    log.info("copied the topic aside", { records: out.records, replaced: out.replaced });
    if ((await ends(admin, topic)) !== before) {
      await admin.deleteTopics({ topics: [aside] }).catch(() => {});
      await setConfig(
        admin,
        topic,
        settings
          .filter(({ name }) => name === "min.insync.replicas")
          .concat(settings.some(({ name }) => name === "min.insync.replicas") ? [] : [{ name: "min.insync.replicas", value: "1" }]),
      );
      throw new Error("records arrived while the topic was being copied; nothing was changed: run the erasure again");
    }

    await admin.deleteTopics({ topics: [topic] });
    await untilGone(admin, topic);
    // Made again as it was, but taking the copies' own times, and still refusing acks=all writes.
    const again = settings.filter(({ name }) => name !== "message.timestamp.type" && name !== "min.insync.replicas");
    await admin.createTopics({
      topics: [
        {
          topic,
          numPartitions: partitions,
          replicationFactor: replicas,
          configEntries: [...again, { name: "message.timestamp.type", value: "CreateTime" }, { name: "min.insync.replicas", value: frozen }],
        },
      ],
      waitForLeaders: true,
    });
    const back = await copy(kafka, admin, aside, topic, (record) => ({ record, replaced: false }));
    if (back.records !== out.records) throw new Error(`copied ${back.records} records back of ${out.records}: the topic ${aside} still has them all`);
    const restored = settings.filter(({ name }) => name === "message.timestamp.type" || name === "min.insync.replicas");
    await setConfig(admin, topic, restored.length > 0 ? restored : [{ name: "min.insync.replicas", value: "1" }]);
    await admin.deleteTopics({ topics: [aside] });
    log.info("the topic is written again; writes are taken again", { topic });
    return { records: out.records, replaced: out.replaced, partitions };
  } finally {
    await admin.disconnect();
  }
}

/** A record of an erased message (the post, or a change to it) becomes its deletion; any other stays as it is. */
function redact(record: KafkaMessage, ids: ReadonlySet<string>): { record: KafkaMessage; replaced: boolean } {
  const decoded = decodeRecord(record.value);
  if (!decoded.ok) return { record, replaced: false };
  const id = decoded.message ? decoded.message.id : decoded.change.target;
  if (!ids.has(id)) return { record, replaced: false };
  const board = (decoded.message ?? decoded.change).board;
  const at = new Date(Number(record.timestamp)).toISOString();
  const erased: MessageChange = { kind: "delete", id: randomUUID(), target: id, board, at, by: "erasure" };
  return { record: { ...record, value: Buffer.from(encodeRecord(erased).value) }, replaced: true };
}

async function describe(admin: Admin, topic: string): Promise<{ partitions: number; replicas: number; settings: Settings }> {
  const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
  const partitions = topics[0]?.partitions ?? [];
  if (partitions.length === 0) throw new Error(`there is no topic ${topic}`);
  const { resources } = await admin.describeConfigs({ resources: [{ type: ConfigResourceTypes.TOPIC, name: topic }], includeSynonyms: false });
  // Only what was set on the topic itself (not the broker's defaults) is made again.
  const settings = (resources[0]?.configEntries ?? [])
    .filter((entry) => !entry.isDefault && !entry.readOnly && entry.configSource === ConfigSource.TOPIC_CONFIG)
    .map(({ configName, configValue }) => ({ name: configName, value: configValue }));
  return { partitions: partitions.length, replicas: partitions[0]!.replicas.length, settings };
}

function setConfig(admin: Admin, topic: string, entries: Settings) {
  // kafkajs's alterConfigs replaces the topic's whole set: what is not named reverts to the default.
  return admin.describeConfigs({ resources: [{ type: ConfigResourceTypes.TOPIC, name: topic }], includeSynonyms: false }).then(({ resources }) => {
    const current = (resources[0]?.configEntries ?? []).filter(
      (entry) => !entry.isDefault && !entry.readOnly && entry.configSource === ConfigSource.TOPIC_CONFIG,
    );
    const merged = new Map(current.map(({ configName, configValue }) => [configName, configValue]));
    for (const { name, value } of entries) merged.set(name, value);
    return admin.alterConfigs({
      validateOnly: false,
      resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configEntries: [...merged].map(([name, value]) => ({ name, value })) }],
    });
  });
}

/**
 * Until the raised min.insync.replicas is the topic's setting, and a moment more for its partitions' leaders
 * to apply it. A write that slips in before then is noticed before anything is deleted (see `ends`).
 */
async function untilFrozen(admin: Admin, topic: string, frozen: string): Promise<void> {
  for (let tries = 0; tries < 100; tries++) {
    const { resources } = await admin.describeConfigs({
      resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: ["min.insync.replicas"] }],
      includeSynonyms: false,
    });
    if (resources[0]?.configEntries[0]?.configValue === frozen) return void (await new Promise((resolve) => setTimeout(resolve, 1000)));
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error("the topic's new setting did not take within 10 s");
}

/** Where each partition of `topic` ends now. */
const ends = async (admin: Admin, topic: string) => JSON.stringify(await admin.fetchTopicOffsets(topic));

async function untilGone(admin: Admin, topic: string): Promise<void> {
  for (let tries = 0; tries < 300; tries++) {
    if (!(await admin.listTopics()).includes(topic)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the topic ${topic} was still there after 30 s`);
}

/** Copies every record of `from` (to its end now) into the same partition of `to`, in order, as `change` makes it. */
async function copy(kafka: Kafka, admin: Admin, from: string, to: string, change: (record: KafkaMessage) => { record: KafkaMessage; replaced: boolean }) {
  const ends = new Map((await admin.fetchTopicOffsets(from)).map(({ partition, low, high }) => [partition, { low: BigInt(low), high: BigInt(high) }]));
  const left = new Set([...ends].filter(([, { low, high }]) => high > low).map(([partition]) => partition));
  const group = `erasure-${randomUUID()}`;
  const consumer = kafka.consumer({ groupId: group, allowAutoTopicCreation: false });
  const producer = kafka.producer({ allowAutoTopicCreation: false, maxInFlightRequests: 1, idempotent: false });
  let records = 0;
  let replaced = 0;
  await Promise.all([consumer.connect(), producer.connect()]);
  try {
    if (left.size === 0) return { records, replaced };
    await consumer.subscribe({ topics: [from], fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      consumer
        .run({
          autoCommit: false,
          eachBatch: async ({ batch }) => {
            const end = ends.get(batch.partition)!.high;
            const mine = batch.messages.filter((record) => BigInt(record.offset) < end);
            if (mine.length > 0) {
              const changed = mine.map(change);
              replaced += changed.filter((each) => each.replaced).length;
              // acks=1: the topic refuses acks=all writes while it is frozen.
              await producer.send({
                topic: to,
                acks: 1,
                messages: changed.map(({ record }) => ({
                  partition: batch.partition,
                  key: record.key,
                  value: record.value,
                  headers: record.headers,
                  timestamp: record.timestamp,
                })),
              });
              records += mine.length;
            }
            if (BigInt(batch.lastOffset()) + 1n >= end) left.delete(batch.partition);
            if (left.size === 0) resolve();
          },
        })
        .catch(reject);
    });
    return { records, replaced };
  } finally {
    await consumer.disconnect();
    await producer.disconnect();
    await admin.deleteGroups([group]).catch(() => {});
  }
}
