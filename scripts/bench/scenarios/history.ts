import { figure } from "../measure";
import { benchHistory } from "../history";
import { row, results } from "../report";
import type { BenchContext } from "../context";

export async function history(ctx: BenchContext): Promise<void> {
  const { stack, kafka, quiet, say, size } = ctx;
  // 6. Lasting history: the history consumer (and so a rebuild) over a large log, then search and older
  // pages on what it wrote, beside one INSERT per record, LIKE and OFFSET.
  const figures = await benchHistory({
    kafka,
    brokers: stack.brokers,
    databaseUrl: stack.databaseUrl,
    size: size.history,
    log: quiet,
    say,
    id: `bench-${process.pid}`,
  });
  const messages = figures.messages.toLocaleString("en");
  row(`history consumer, ${messages} records`, figure([figures.writePerSecond]), figure([figures.naiveWritePerSecond]), "records/s");
  row(`rebuild ${messages} messages into PostgreSQL`, figure([figures.writeSeconds]), undefined, "s");
  row(`search p95, ${messages} messages over ${figures.boards} boards`, figure([figures.search.p95]), figure([figures.naiveSearch.p95]), "ms", true);
  row(`older page p95, 50 messages`, figure([figures.olderPage.p95]), figure([figures.naiveOlderPage.p95]), "ms", true);
  results.history = figures;
}
