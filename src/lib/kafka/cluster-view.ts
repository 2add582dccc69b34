import { AssignerProtocol, type Admin } from "kafkajs";
import { describeQuorum } from "./quorum";
import { firstAnswer } from "./wire";

/** The low and high offsets of each partition, as the admin client reports them; pass them in to ask once. */
type Ends = Awaited<ReturnType<Admin["fetchTopicOffsets"]>>;

export type PartitionView = { partition: number; leader: number; replicas: number[]; isr: number[]; low: string; high: string };
export type TopicView = { topic: string; partitions: PartitionView[]; records: number; underReplicated: number };
export type NodeView = { id: number; address: string | null; up: boolean; voter: boolean };
export type ClusterView = { clusterId: string; controller: number; nodes: NodeView[]; underReplicated: number };
export type GroupView = {
  groupId: string;
  state: string;
  members: { memberId: string; clientId: string; host: string; partitions: number[] }[];
  lag: { partition: number; committed: string; high: string; lag: number }[];
  totalLag: number;
};

/** Partitions with their leaders and offsets; `records` is what the topic still holds (high minus low). */
export async function describeTopic(admin: Admin, topic: string, ends?: Ends): Promise<TopicView> {
  const [{ topics }, offsets] = await Promise.all([admin.fetchTopicMetadata({ topics: [topic] }), ends ?? admin.fetchTopicOffsets(topic)]);
  const metadata = topics[0]?.partitions ?? [];
  const partitions = offsets
    .map(({ partition, low, high }) => {
      const meta = metadata.find((entry) => entry.partitionId === partition);
      return { partition, leader: meta?.leader ?? -1, replicas: meta?.replicas ?? [], isr: meta?.isr ?? [], low, high };
    })
    .sort((a, b) => a.partition - b.partition);
  return {
    topic,
    partitions,
    records: partitions.reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0),
    underReplicated: partitions.filter(shortOfCopies).length,
  };
}

/**
 * The nodes as the cluster sees them: the metadata lists the brokers that are up, the controller quorum
 * names every voter, up or not, and which of them is the active controller (-1 while none is).
 */
export async function describeCluster(admin: Admin, bootstrap: readonly string[]): Promise<ClusterView> {
  const [cluster, quorum, underReplicated] = await Promise.all([
    admin.describeCluster(),
    // A cluster that refuses the question (a managed service may) is still described, without its voters.
    firstAnswer(bootstrap, (address) => describeQuorum(address)).catch(() => undefined),
    underReplicatedPartitions(admin),
  ]);
  const up = new Map(cluster.brokers.map((broker) => [broker.nodeId, `${broker.host}:${broker.port}`]));
  const voters = new Set(quorum?.voters);
  const ids = [...new Set([...up.keys(), ...voters])].sort((a, b) => a - b);
  return {
    clusterId: cluster.clusterId,
    controller: quorum?.leaderId ?? -1,
    nodes: ids.map((id) => ({ id, address: up.get(id) ?? null, up: up.has(id), voter: voters.has(id) })),
    underReplicated,
  };
}

/** Partitions of every topic, internal ones included, with fewer in-sync replicas than replicas. */
export async function underReplicatedPartitions(admin: Admin): Promise<number> {
  const { topics } = await admin.fetchTopicMetadata();
  return topics.flatMap((topic) => topic.partitions).filter(shortOfCopies).length;
}

/** How many members each consumer group has; a group nobody is in (or that is unknown) has 0. */
export async function groupMembers(admin: Admin, groupIds: readonly string[]): Promise<Map<string, number>> {
  const { groups } = await admin.describeGroups([...groupIds]);
  return new Map(groupIds.map((groupId) => [groupId, groups.find((group) => group.groupId === groupId)?.members.length ?? 0]));
}

/** A consumer group's state, members and how far behind the end of `topic` it is, per partition. */
export async function describeGroup(admin: Admin, groupId: string, topic: string, topicEnds?: Ends): Promise<GroupView> {
  const [{ groups }, [committed], ends] = await Promise.all([
    admin.describeGroups([groupId]),
    admin.fetchOffsets({ groupId, topics: [topic] }),
    topicEnds ?? admin.fetchTopicOffsets(topic),
  ]);
  const group = groups[0];
  const members = (group?.members ?? []).map((member) => ({
    memberId: member.memberId,
    clientId: member.clientId,
    host: member.clientHost,
    partitions: assignedPartitions(member.memberAssignment, topic),
  }));
  const lag = ends
    .map(({ partition, high, low }) => {
      const offset = committed?.partitions.find((entry) => entry.partition === partition)?.offset ?? "-1";
      // Nothing committed yet: everything the partition holds is still to be read.
      const from = Number(offset) >= 0 ? Number(offset) : Number(low);
      return { partition, committed: offset, high, lag: Math.max(0, Number(high) - from) };
    })
    .sort((a, b) => a.partition - b.partition);
  return { groupId, state: group?.state ?? "Unknown", members, lag, totalLag: lag.reduce((sum, entry) => sum + entry.lag, 0) };
}

/** The partitions of `topic` in a member's assignment, as the consumer protocol encodes it. */
function assignedPartitions(assignment: Buffer, topic: string): number[] {
  try {
    return [...(AssignerProtocol.MemberAssignment.decode(assignment)?.assignment[topic] ?? [])].sort((a, b) => a - b);
  } catch {
    return []; // an assignment of another protocol
  }
}

/** Under-replicated: some replica has fallen behind, or its node is down. */
const shortOfCopies = ({ isr, replicas }: { isr: number[]; replicas: number[] }) => isr.length < replicas.length;
