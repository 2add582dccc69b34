import assert from "node:assert/strict";
import { test } from "node:test";
import { clientAddress } from "../../src/lib/http/client-address";
import { checkOrigin } from "../../src/lib/http/origin";
import { ApiError } from "../../src/lib/http/api-error";
import { BacklogLimit } from "../../src/lib/realtime/backlog-limit";
import { StreamGate } from "../../src/lib/realtime/stream-gate";

import { call } from "../support/call";

const request = (headers: Record<string, string>) => call({ headers });

test("the client address is the connection's unless proxies are trusted; a forged X-Forwarded-For changes nothing", () => {
  const forged = call({ peer: "10.0.0.1", headers: { "x-forwarded-for": "1.2.3.4", "x-peer-address": "1.2.3.4" } });
  assert.equal(clientAddress(forged, 0), "10.0.0.1");
  const proxied = call({ peer: "10.0.0.254", headers: { "x-forwarded-for": "6.6.6.6, 203.0.113.7" } });
  assert.equal(clientAddress(proxied, 1), "203.0.113.7", "the address the one trusted proxy saw");
  assert.equal(clientAddress(proxied, 2), "6.6.6.6");
});

test("posts from pages of other sites are refused; our own pages and clients without an Origin pass", () => {
  const refused = (headers: Record<string, string>, allowed: string[] = []) =>
    assert.throws(
      () => checkOrigin(request(headers), allowed, 0),
      (error: unknown) => error instanceof ApiError && error.status === 403,
    );
  checkOrigin(request({ host: "board.test" }), [], 0);
  checkOrigin(request({ host: "board.test", origin: "http://board.test" }), [], 0);
  checkOrigin(request({ host: "board.test", origin: "https://partner.example" }), ["https://partner.example"], 0);
  refused({ host: "board.test", origin: "https://evil.example" });
  refused({ host: "board.test", origin: "null" });
  refused({ host: "board.test", "sec-fetch-site": "cross-site" });
  refused({ host: "board.test", origin: "http://board.test.evil.example" });
});

test("streams are limited per client and per process, and a closed stream frees its place", () => {
  const gate = new StreamGate({ perClient: 2, perProcess: 3 });
  const first = gate.admit("a");
  assert.ok(first.admitted);
  assert.ok(gate.admit("a").admitted);
  assert.deepEqual(gate.admit("a"), { admitted: false, reason: "client" });
  assert.ok(gate.admit("b").admitted);
  assert.deepEqual(gate.admit("c"), { admitted: false, reason: "process" });
  first.release();
  first.release(); // twice is once
  assert.equal(gate.open, 2);
  assert.ok(gate.admit("c").admitted);
});

test("a viewer may take a catch-up larger than the stream's buffer; once it has, falling behind by more lets it go", () => {
  const backlog = new BacklogLimit(100);
  assert.equal(backlog.exceeded(101), true, "no catch-up: the limit itself");
  backlog.catchingUp();
  for (const queued of [50, 300, 500]) assert.equal(backlog.exceeded(queued), false, "the catch-up being written");
  backlog.caughtUp(500);
  assert.equal(backlog.exceeded(600), false, "the catch-up and the limit on top");
  assert.equal(backlog.exceeded(601), true, "more than that");
  assert.equal(backlog.exceeded(80), false, "drained under the limit");
  assert.equal(backlog.exceeded(101), true, "from then on, the limit itself");
});
