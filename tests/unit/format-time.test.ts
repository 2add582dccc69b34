import assert from "node:assert/strict";
import { test } from "node:test";
import { formatRelativeTime } from "../../src/lib/messages/format-time";

const now = new Date("2026-06-15T12:00:00Z");
const ago = (ms: number) => new Date(now.getTime() - ms).toISOString();

test("recent times read as people say them", () => {
  assert.equal(formatRelativeTime(ago(5_000), now), "just now");
  assert.equal(formatRelativeTime(ago(5 * 60_000), now), "5 min ago");
  assert.equal(formatRelativeTime(ago(3 * 3_600_000), now), "3 h ago");
});

test("older times show the date, and the year only when it is not this one", () => {
  assert.equal(formatRelativeTime("2026-06-10T08:30:00Z", now, "en-GB", "UTC"), "10 Jun, 08:30");
  assert.equal(formatRelativeTime("2025-06-10T08:30:00Z", now, "en-GB", "UTC"), "10 Jun 2025, 08:30");
});
