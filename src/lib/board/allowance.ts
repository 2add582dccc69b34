import type { RateDecision } from "../store/rate-limit";
import { BoardError } from "./errors";

/** Takes one from the client's allowance, or refuses with how long to wait: "Too many <what>". */
export async function takeAllowance(limiter: { take(client: string): Promise<RateDecision> }, client: string, what: string): Promise<void> {
  const rate = await limiter.take(client);
  if (rate.allowed) return;
  const seconds = rate.retryAfterSeconds;
  throw new BoardError("too_many_requests", `Too many ${what}; try again in ${seconds} s.`, { retryAfterSeconds: seconds });
}
