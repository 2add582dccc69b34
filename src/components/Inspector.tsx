"use client";

import { useEffect, useState, type ReactNode } from "react";
import { inspectionSchema, type Inspection } from "@/lib/inspection";
import { LiveCharts, type LivePoint } from "./LiveCharts";

const REFRESH_MS = 1500;
// Two minutes of answers for the charts.
const KEPT_POINTS = 80;

/** The topic, the consumer group and the newest records, refreshed while the page is open. */
export function Inspector() {
  const [view, setView] = useState<Inspection | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [points, setPoints] = useState<LivePoint[]>([]);

  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let stopped = false;
    const refresh = async () => {
      try {
        const response = await fetch("/api/inspect", { cache: "no-store" });
        const body: unknown = await response.json();
        const parsed = inspectionSchema.safeParse(body);
        if (parsed.success) {
          setView(parsed.data);
          setPoints((kept) => [...kept, { at: parsed.data.at, live: parsed.data.live, lag: parsed.data.group.lag }].slice(-KEPT_POINTS));
          setProblem(null);
        } else setProblem(`The inspector answered ${response.status}: Kafka may be unreachable.`);
      } catch {
        setProblem("The web app cannot be reached.");
      }
      if (!stopped) timer = setTimeout(() => void refresh(), REFRESH_MS);
    };
    void refresh();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, []);

  if (!view) return <p className="text-board-muted">{problem ?? "Asking Kafka…"}</p>;
  const { cluster, topic, group, deadLetters, latest, processor } = view;
  return (
    <div className="flex flex-col gap-6">
      {problem && (
        <p role="alert" className="rounded-lg bg-amber-50 px-3 py-2 text-sm text-board-warn">
          {problem} Showing what it said last.
        </p>
      )}
      <LiveCharts points={points} />
      <Section
        title={`Cluster ${cluster.clusterId}`}
        note={`${cluster.nodes.filter((n) => n.up).length} of ${cluster.nodes.length} node(s) up · active controller: ${cluster.controller >= 0 ? `node ${cluster.controller}` : "none"} · under-replicated partitions: ${cluster.underReplicated}`}
      >
        <Table
          label="Nodes"
          head={["node", "address", "state", "role"]}
          rows={cluster.nodes.map((n) => [n.id, n.address ?? "", n.up ? "up" : "down", nodeRole(n.id, n.voter, cluster.controller)])}
        />
      </Section>
      <Section
        title={`Topic ${topic.topic}`}
        note={`${topic.records} records held · ${topic.underReplicated} under-replicated · dead-letter topic ${deadLetters.topic}: ${deadLetters.records}`}
      >
        <Table
          label="Partitions"
          head={["partition", "leader", "replicas", "in sync", "state", "low", "high-water mark"]}
          rows={topic.partitions.map((p) => [p.partition, p.leader, p.replicas.join(", "), p.isr.join(", "), partitionState(p), p.low, p.high])}
        />
      </Section>
      <Section title={`Consumer group ${group.groupId}`} note={`${group.state} · ${group.members.length} member(s) · lag ${group.totalLag}`}>
        <Table
          label="Members"
          head={["member", "client", "host", "partitions"]}
          rows={group.members.map((m) => [m.memberId.slice(-12), m.clientId, m.host, m.partitions.join(", ") || "none"])}
        />
        <Table label="Lag" head={["partition", "committed", "high-water mark", "lag"]} rows={group.lag.map((l) => [l.partition, l.committed, l.high, l.lag])} />
      </Section>
      <Section
        title={`Stream processor ${processor.group.groupId}`}
        note={`${processor.group.state} · ${processor.group.members.length} member(s) · lag ${processor.group.totalLag} reactions, ${processor.messagesLag} messages`}
      >
        <Table
          label="Processor members"
          head={["member", "client", "host", "reaction partitions"]}
          rows={processor.group.members.map((m) => [m.memberId.slice(-12), m.clientId, m.host, m.partitions.join(", ") || "none"])}
        />
        <Table label="Processor topics" head={["topic", "records held"]} rows={processor.topics.map((t) => [t.topic, t.records])} />
      </Section>
      <Section title="Newest records" note="as Kafka holds them, stored or not">
        <Table
          label="Newest records"
          head={["partition", "offset", "time", "request id", "value"]}
          rows={latest.map((r) => [r.partition, r.offset, new Date(Number(r.timestamp)).toLocaleTimeString(), r.headers["request-id"] ?? "", r.value])}
        />
      </Section>
    </div>
  );
}

function nodeRole(id: number, voter: boolean, controller: number): string {
  if (!voter) return "broker";
  return id === controller ? "broker, active controller" : "broker, controller";
}

function partitionState({ leader, replicas, isr }: { leader: number; replicas: number[]; isr: number[] }): string {
  if (leader < 0) return "offline: no leader";
  return isr.length < replicas.length ? "under-replicated" : "in sync";
}

function Section({ title, note, children }: { title: string; note: string; children: ReactNode }) {
  return (
    <section className="flex flex-col gap-3 rounded-2xl border border-slate-200 bg-white p-4 shadow-sm">
      <div className="flex flex-wrap items-baseline justify-between gap-2">
        <h2 className="text-lg font-semibold">{title}</h2>
        <span className="text-sm text-board-muted" data-testid={`${title.split(" ")[0]?.toLowerCase()}-note`}>
          {note}
        </span>
      </div>
      {children}
    </section>
  );
}

function Table({ label, head, rows }: { label: string; head: string[]; rows: (string | number)[][] }) {
  return (
    <div className="overflow-x-auto">
      <table aria-label={label} className="w-full text-left text-sm">
        <thead className="text-board-muted">
          <tr>
            {head.map((cell) => (
              <th key={cell} scope="col" className="px-2 py-1 font-medium">
                {cell}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row, i) => (
            <tr key={i} className="border-t border-slate-100">
              {row.map((cell, j) => (
                <td key={j} className="max-w-md truncate px-2 py-1 font-mono text-xs">
                  {cell}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
