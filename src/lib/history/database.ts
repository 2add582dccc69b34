import pg from "pg";
import type { Logger } from "../log";
import { errorFields } from "../log";

export type Database = pg.Pool;

/**
 * A pool of connections to PostgreSQL. A query waiting for a connection, or for a server that stopped
 * answering, fails after a few seconds rather than hanging whoever waits on it.
 */
export function createDatabase(url: string, applicationName: string, log: Logger, max = 5): Database {
  const pool = new pg.Pool({
    connectionString: url,
    application_name: applicationName,
    max,
    connectionTimeoutMillis: 5000,
    query_timeout: 30_000,
    idleTimeoutMillis: 30_000,
  });
  // An idle connection the server dropped (a restart) is replaced on the next query; no reason to crash.
  pool.on("error", (error) => log.warn("PostgreSQL connection lost", errorFields(error)));
  return pool;
}

/**
 * Runs `work` in one transaction on one connection: all of it is committed, or none of it. A snapshot
 * transaction sees one moment of the database in every query it makes.
 */
export async function inTransaction<T>(database: Database, work: (client: pg.PoolClient) => Promise<T>, snapshot = false): Promise<T> {
  const client = await database.connect();
  // A connection that breaks while checked out (the server killed, say) also fails the query in flight,
  // which is where the caller hears of it; unheard, the event would end the process.
  const ignore = () => {};
  client.on("error", ignore);
  let broken = false;
  try {
    await client.query(snapshot ? "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY" : "BEGIN");
    const result = await work(client);
    await client.query("COMMIT");
    return result;
  } catch (error) {
    await client.query("ROLLBACK").catch(() => (broken = true));
    throw error;
  } finally {
    client.off("error", ignore);
    // A broken connection is closed rather than handed to the next caller.
    client.release(broken);
  }
}
