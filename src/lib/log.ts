import pino from "pino";
import { logFormatSchema, logLevelSchema } from "./config";

type Fields = Record<string, unknown>;
type Level = "debug" | "info" | "warn" | "error";

export type Logger = Record<Level, (message: string, fields?: Fields) => void>;

const LEVEL_NAMES: Record<number, string> = { 10: "TRACE", 20: "DEBUG", 30: "INFO", 40: "WARN", 50: "ERROR", 60: "FATAL" };

/** pino's JSON lines as a person reads them: time, level, scope, message, then the fields. */
const readable = {
  write(line: string) {
    const { time, level, scope, msg, ...fields } = JSON.parse(line) as Fields & { time: number; level: number; scope?: string; msg?: string };
    const rest = Object.entries(fields)
      .filter(([key]) => key !== "pid" && key !== "hostname")
      .map(([key, value]) => `${key}=${typeof value === "string" ? value : JSON.stringify(value)}`)
      .join(" ");
    const clock = new Date(time).toISOString().slice(11, 23);
    process.stdout.write(`${clock} ${(LEVEL_NAMES[level] ?? String(level)).padEnd(5)} [${scope ?? "-"}] ${msg ?? ""}${rest ? `  ${rest}` : ""}\n`);
  },
};

/**
 * One logger per process: JSON lines (`time`, `level`, `scope`, `msg`, fields) that log shippers and `jq`
 * read as they are, or readable lines with LOG_FORMAT=pretty (the default in a terminal). LOG_LEVEL picks
 * the least severe level written (info by default; debug adds a line per message). Made on first use, so
 * that a process can load its .env files first.
 */
let root: pino.Logger | undefined;

function rootLogger(): pino.Logger {
  const level = logLevelSchema.safeParse(process.env.LOG_LEVEL || undefined);
  const format = logFormatSchema.safeParse(process.env.LOG_FORMAT || undefined);
  root ??= pino(
    {
      level: level.success ? level.data : "info",
      base: undefined,
      timestamp: pino.stdTimeFunctions.epochTime,
      formatters: { level: (_label, number) => ({ level: number }) },
    },
    (format.success && format.data ? format.data === "pretty" : process.stdout.isTTY) ? readable : pino.destination({ sync: true }),
  );
  return root;
}

export function createLogger(scope: string): Logger {
  let logger: pino.Logger | undefined;
  const write = (level: Level) => (message: string, fields?: Fields) => {
    logger ??= rootLogger().child({ scope });
    logger[level](fields ?? {}, message);
  };
  return { debug: write("debug"), info: write("info"), warn: write("warn"), error: write("error") };
}

export function errorFields(error: unknown): Fields {
  return error instanceof Error ? { error: error.message, errorName: error.name } : { error: String(error) };
}
