// Views that know which log they follow: the decisions, over views and a Kafka kept in memory.
import assert from "node:assert/strict";
import { test } from "node:test";
import { logFollower, positionTracker, type LogView } from "../../src/lib/consumer/followed-log";
import { createConsumerMetrics } from "../../src/lib/consumer/metrics";
import { logKey, metadataRequest, parseMetadata, UnknownTopic, type LogIdentity } from "../../src/lib/kafka/log-identity";
import type { Logger } from "../../src/lib/log";

/** A view in memory: what it follows, its positions, and whether it was cleared. */
function memoryView(followed: string | null, positions: [number, bigint][] = []) {
  const state = { followed, positions: new Map(positions), cleared: 0 };
  const view: LogView = {
    id: "store",
    name: "the Redis store",
    topic: "board",
    followed: async () => state.followed,
    positions: async () => new Map(state.positions),
    follow: async (from, to, clear) => {
      if (state.followed !== from) return false;
      if (clear) {
        state.cleared += 1;
        state.positions.clear();
      }
      state.followed = to;
      return true;
    },
  };
  return { view, state };
}

function recordingLog() {
  const lines: { level: string; message: string }[] = [];
  const at = (level: string) => (message: string) => void lines.push({ level, message });
  const log: Logger = { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error"), child: () => log };
  return { log, warnings: () => lines.filter((line) => line.level === "warn").map((line) => line.message) };
}

const LOG_A: LogIdentity = { clusterId: "cluster-a", topicId: "topic-1" };
const LOG_B: LogIdentity = { clusterId: "cluster-b", topicId: "topic-2" };

function follower(views: LogView[], now: { identity: LogIdentity }, ends: [number, bigint][] = [[0, 10n]]) {
  const notices = new Map<string, string>();
  const metrics = createConsumerMetrics();
  const { log, warnings } = recordingLog();
  const following = logFollower({
    views,
    identify: async () => now.identity,
    ends: async () => new Map(ends),
    notices: { set: async (view, sentence) => void notices.set(view, sentence), clear: async (view) => void notices.delete(view) },
    log,
    metrics,
  });
  const rebuilt = async () => (await metrics.viewsRebuilt.get()).values.reduce((sum, value) => sum + value.value, 0);
  return { following, notices, warnings, rebuilt };
}

test("a view of the log Kafka has is left as it is, and says nothing", async () => {
  const { view, state } = memoryView(logKey(LOG_A), [[0, 5n]]);
  const { following, warnings } = follower([view], { identity: LOG_A });
  assert.equal(await following.check(), false);
  assert.equal(state.cleared, 0);
  assert.deepEqual(warnings(), []);
  assert.equal(following.current(view), logKey(LOG_A));
});

test("a view that records no log takes the current one, keeping what it holds, if its positions are within the log", async () => {
  const { view, state } = memoryView(null, [[0, 10n]]);
  const { following, warnings } = follower([view], { identity: LOG_A }, [[0, 10n]]);
  assert.equal(await following.check(), false);
  assert.deepEqual({ followed: state.followed, cleared: state.cleared }, { followed: logKey(LOG_A), cleared: 0 });
  assert.deepEqual(warnings(), []);
});

test("a view that records no log but needs offsets past the log's end was read from another: it is rebuilt", async () => {
  // The report's case: the store had read to 1,728 on partition 0 of the other log; this one ends at 1,202.
  const { view, state } = memoryView(null, [[0, 1729n]]);
  const { following, warnings, rebuilt } = follower([view], { identity: LOG_A }, [[0, 1202n]]);
  assert.equal(await following.check(), true);
  assert.deepEqual({ followed: state.followed, cleared: state.cleared }, { followed: logKey(LOG_A), cleared: 1 });
  assert.equal(warnings().length, 1);
  assert.match(warnings()[0]!, /needs offset 1729 of board partition 0, where the log ends at 1202/);
  assert.equal(await rebuilt(), 1);
});

test("a view of the same log that needs offsets past its end (a copy restored from before them) is rebuilt too", async () => {
  const { view, state } = memoryView(logKey(LOG_A), [[0, 40n]]);
  const { following, warnings } = follower([view], { identity: LOG_A }, [[0, 25n]]);
  assert.equal(await following.check(), true);
  assert.equal(state.cleared, 1);
  assert.match(warnings()[0] ?? "", /needs offset 40 of board partition 0, where the log ends at 25 \(or this log lost records/);
});

test("a view of another log is cleared once, says which logs, and is noticed as rebuilding until it reaches the log's end", async () => {
  const { view, state } = memoryView(logKey(LOG_A), [[0, 40n]]);
  const kafka = { identity: LOG_B };
  const { following, warnings, notices } = follower([view], kafka, [[0, 10n]]);
  assert.equal(await following.check(), true);
  assert.equal(state.cleared, 1);
  assert.equal(following.current(view), logKey(LOG_B));
  assert.equal(warnings().length, 1);
  assert.ok(warnings()[0]!.includes(logKey(LOG_A)) && warnings()[0]!.includes(logKey(LOG_B)), warnings()[0]);
  assert.match(notices.get("store") ?? "", /being rebuilt/);

  // Checked again: the same log now, nothing more said; the notice stays while the view is behind.
  state.positions.set(0, 4n);
  assert.equal(await following.checkQuietly(), false);
  assert.equal(warnings().length, 1);
  assert.ok(notices.has("store"));
  state.positions.set(0, 10n);
  await following.checkQuietly();
  assert.equal(notices.has("store"), false, "the notice ends once the view reaches the end the log had");
});

test("two consumers that find the same view behind: one clears it, the other only follows", async () => {
  const { view, state } = memoryView(logKey(LOG_A));
  const kafka = { identity: LOG_B };
  const [first, second] = [follower([view], kafka), follower([view], kafka)];
  await Promise.all([first.following.check(), second.following.check()]);
  assert.equal(state.cleared, 1);
  assert.equal((await first.rebuilt()) + (await second.rebuilt()), 1);
});

test("a failed check is tried again by the next, and a timer's check does not throw", async () => {
  const { view } = memoryView(null);
  let up = false;
  const { log } = recordingLog();
  const following = logFollower({
    views: [view],
    identify: async () => {
      if (!up) throw new Error("ECONNREFUSED");
      return LOG_A;
    },
    ends: async () => new Map(),
    log,
  });
  assert.equal(await following.checkQuietly(), false);
  await assert.rejects(following.check(), /ECONNREFUSED/);
  assert.throws(() => following.current(view), /not known/);
  up = true;
  assert.equal(await following.check(), false);
  assert.equal(following.current(view), logKey(LOG_A));
});

test("a batch that begins before where the partition was read to is Kafka moving the consumer back", () => {
  const positions = positionTracker();
  assert.equal(positions.movedBack("board", 0, "0"), undefined, "nothing known yet");
  positions.read("board", 0, "1727");
  assert.equal(positions.movedBack("board", 0, "1728"), undefined, "the next record");
  assert.equal(positions.movedBack("board", 0, "0"), 1728n, "back to the start");
  assert.equal(positions.movedBack("board", 1, "0"), undefined, "another partition");
  positions.sought("board", 0, "500");
  assert.equal(positions.movedBack("board", 0, "500"), undefined, "where the consumer sent it");
  assert.equal(positions.movedBack("board", 0, "0"), 500n, "sent past the end and moved back");
  positions.forget("board", 0);
  assert.equal(positions.movedBack("board", 0, "0"), undefined, "left to the group's offsets");
});

/** A Metadata v12 answer as a broker writes it, for one topic. */
function metadataAnswer(topic: string, errorCode: number, topicId: Buffer): Buffer {
  const compact = (text: string) => Buffer.concat([Buffer.from([Buffer.byteLength(text) + 1]), Buffer.from(text)]);
  const int = (bytes: number, value: number) => {
    const buffer = Buffer.alloc(bytes);
    buffer.writeIntBE(value, 0, bytes);
    return buffer;
  };
  return Buffer.concat([
    int(4, 1), // correlation id
    Buffer.from([1, 7, 2, 0xab, 0xcd]), // header: one tagged field (tag 7, two bytes)
    int(4, 0), // throttle
    Buffer.from([3]), // two brokers
    ...[1, 2].flatMap((id) => [int(4, id), compact("127.0.0.1"), int(4, 9090 + id), Buffer.from([0]), Buffer.from([0])]), // no rack
    compact("MkU3OEVBNTcwNTJENDM2Qk"),
    int(4, 1), // controller
    Buffer.from([2]), // one topic
    int(2, errorCode),
    compact(topic),
    topicId,
    Buffer.from([0, 1]), // not internal, no partitions
    int(4, -2147483648), // authorized operations: not asked
    Buffer.from([0, 0]), // the topic's tags, the answer's
  ]);
}

test("the Metadata answer gives the cluster's id and the topic's, as Kafka's tools print them", () => {
  const topicId = Buffer.from("0f3a9c1e5b2d4c6e8a0b1c2d3e4f5061", "hex");
  assert.deepEqual(parseMetadata(metadataAnswer("board", 0, topicId), "board"), {
    clusterId: "MkU3OEVBNTcwNTJENDM2Qk",
    topicId: topicId.toString("base64url"),
  });
  assert.throws(() => parseMetadata(metadataAnswer("board", 3, Buffer.alloc(16)), "board"), UnknownTopic);
  assert.throws(() => parseMetadata(metadataAnswer("board", 29, Buffer.alloc(16)), "board"), /error code 29/);

  // The request: size, API 3 version 12, the correlation id, then the topic by name and no topic id.
  const request = metadataRequest(5, "board");
  assert.equal(request.readInt32BE(0), request.length - 4);
  assert.deepEqual([request.readInt16BE(4), request.readInt16BE(6), request.readInt32BE(8)], [3, 12, 5]);
  assert.ok(request.includes(Buffer.concat([Buffer.from([2]), Buffer.alloc(16), Buffer.from([6]), Buffer.from("board")])));
});
