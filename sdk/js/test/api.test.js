// The SDK against the real Pulse stack: what it sends is stored once each, rejections come back
// with the server's reason. Needs PULSE_TEST_* (set by tests/integration/sdk_js); skips without.

import assert from "node:assert/strict";
import { test } from "node:test";

import { PulseClient } from "../src/index.js";

const env = process.env;
const api = env.PULSE_TEST_API_URL;
const skip = api ? false : "PULSE_TEST_API_URL unset: run through tests/integration/sdk_js (make test)";
const tag = (name) => `js-${name}-${Math.random().toString(16).slice(2, 10)}`;

async function clickhouse(sql) {
  const url = new URL(env.PULSE_TEST_CLICKHOUSE_URL);
  url.searchParams.set("database", env.PULSE_TEST_CLICKHOUSE_DATABASE);
  url.searchParams.set("default_format", "JSONEachRow");
  const auth = Buffer.from(`${env.PULSE_TEST_CLICKHOUSE_USER}:${env.PULSE_TEST_CLICKHOUSE_PASSWORD}`).toString("base64");
  const response = await fetch(url, { method: "POST", body: sql, headers: { Authorization: `Basic ${auth}` } });
  assert.equal(response.status, 200, await response.clone().text());
  return (await response.text()).split("\n").filter(Boolean).map((line) => JSON.parse(line));
}

/** event_ids stored with `source`, polled until `expected` rows are there (or the deadline). */
async function storedIds(source, expected, timeoutMs = 90_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const rows = await clickhouse(`SELECT toString(event_id) AS id FROM events WHERE source = '${source}'`);
    if (rows.length >= expected || Date.now() > deadline) return rows.map((r) => r.id);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

test("every tracked event is stored once in pulse.events", { skip }, async () => {
  const source = tag("stored");
  const client = new PulseClient(api, env.PULSE_TEST_PRODUCER_KEY, { source, flushOnExit: false, maxBatchEvents: 200 });
  const ids = [];
  for (let i = 0; i < 1000; i += 1) {
    ids.push(client.assignmentViewed(`student-${i % 50}`, { assignment_id: `hw-${i % 9}`, subject: "math" }));
    if (i % 100 === 0) ids.push(client.llmCall(`student-${i}`, { model: "tutor-1", prompt_tokens: 10, completion_tokens: 5, cost_usd: 0.001 }));
  }
  await client.close();
  assert.equal(client.stats.accepted, ids.length);
  const stored = await storedIds(source, ids.length);
  assert.equal(stored.length, ids.length);
  assert.deepEqual(new Set(stored), new Set(ids));
});

test("an event the server refuses comes back through onRejected with its reason", { skip }, async () => {
  const source = tag("rejected");
  const rejections = [];
  const client = new PulseClient(api, env.PULSE_TEST_PRODUCER_KEY, {
    source, flushOnExit: false, validate: false, onRejected: (r) => rejections.push(r),
  });
  const good = client.assignmentViewed("student-1", { assignment_id: "hw-1", subject: "math" });
  const bad = client.assignmentViewed("student-1", { subject: "math" });
  await client.close();
  assert.equal(client.stats.accepted, 1);
  assert.equal(rejections.length, 1);
  assert.equal(rejections[0].eventId, bad);
  assert.match(rejections[0].error, /assignment_id/);
  assert.deepEqual(await storedIds(source, 1), [good]);
});

test("a wrong key is reported through onError and counted as failed", { skip }, async () => {
  const errors = [];
  const client = new PulseClient(api, "not-a-key", { flushOnExit: false, onError: (e) => errors.push(e) });
  client.track("custom.ping", "u");
  await client.close();
  assert.equal(errors[0]?.status, 401);
  assert.equal(client.stats.failed, 1);
});

test("the same events sent again by a second client are stored once", { skip }, async () => {
  const source = tag("resend");
  const ids = Array.from({ length: 50 }, () => crypto.randomUUID());
  for (let round = 0; round < 2; round += 1) {
    const client = new PulseClient(api, env.PULSE_TEST_PRODUCER_KEY, { source, flushOnExit: false });
    ids.forEach((eventId, i) => client.track("custom.resent", `u${i}`, {}, { eventId, timestamp: "2026-11-20T10:00:00Z" }));
    await client.close();
    assert.equal(client.stats.accepted + client.stats.rejected, 50);
  }
  await storedIds(source, 50);
  const rows = await clickhouse(`SELECT count() AS n, uniqExact(event_id) AS u FROM events WHERE source = '${source}'`);
  assert.deepEqual([Number(rows[0].n), Number(rows[0].u)], [50, 50]);
});
