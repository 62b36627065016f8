// The client's own behaviour against a scripted server: no Pulse stack needed.

import assert from "node:assert/strict";
import { test } from "node:test";
import { gunzipSync } from "node:zlib";

import { PulseClient, PulseValidationError } from "../src/index.js";
import { EventQueue } from "../src/queue.js";
import { validateEvent } from "../src/validate.js";
import { backoffMs, retryAfterMs } from "../src/transport.js";
import { accept, fakeApi } from "../testkit/fake-server.js";

async function until(condition, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    assert.ok(Date.now() < deadline, `not reached in ${timeoutMs} ms: ${condition}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const quiet = { flushOnExit: false, retryBaseMs: 5, retryMaxMs: 50 };
const viewed = { assignment_id: "hw-7", subject: "math" };

test("a bad event fails where it is made, with the field named", () => {
  const client = new PulseClient("http://127.0.0.1:9", "k", quiet);
  assert.throws(() => client.assignmentViewed("u", { subject: "math" }), (e) => e instanceof PulseValidationError && e.field === "metadata.assignment_id");
  assert.throws(() => client.track("Bad Name", "u"), /event:/);
  assert.throws(() => client.track("a.b", ""), (e) => e.field === "user_id");
  assert.throws(() => client.track("a.b", "u", {}, { timestamp: "2026-11-20T14:03:07" }), (e) => e.field === "timestamp");
  assert.throws(() => client.track("a.b", "u", {}, { timestamp: Date.now() + 25 * 3600e3 }), /future/);
  assert.throws(() => client.llmCall("u", { model: "m", prompt_tokens: 1.5, completion_tokens: 0, cost_usd: 0 }), /prompt_tokens: must be an integer/);
  assert.throws(() => client.track("a.b", "u", { blob: "x".repeat(33 * 1024) }), /32 KB/);
  assert.throws(() => client.llmCall("u", { model: "m", prompt_tokens: 1e12 + 1, completion_tokens: 0, cost_usd: 0 }), /prompt_tokens: must be <= 1000000000000/);
  for (const invisible of ["\u202E", "\u200B", "\uFEFF", "\u2028", "\u0000"]) {
    assert.throws(() => client.track("a.b", `a${invisible}b`), (e) => e.field === "user_id");
  }
  assert.equal(client.stats.tracked, 0);
});

test("user ids of real text with joiners and spaces are accepted", () => {
  const at = new Date().toISOString();
  for (const user of ["\u{1F469}\u200D\u{1F393}", "\u0645\u06CC\u200C\u062E\u0648\u0627\u0647\u0645", "Ana\u00A0Mar\u00EDa"]) {
    assert.doesNotThrow(() => validateEvent({ event: "a.b", user_id: user, timestamp: at, metadata: {} }));
  }
  const emoji = "\u{1F393}".repeat(128); // 128 characters, 256 UTF-16 code units
  assert.doesNotThrow(() => validateEvent({ event: "a.b", user_id: emoji, timestamp: at, metadata: {} }));
  assert.throws(() => validateEvent({ event: "a.b", user_id: emoji + "x", timestamp: at, metadata: {} }), /user_id/);
  const call = { model: "m", prompt_tokens: 1e12, completion_tokens: 0, cost_usd: 0 };
  assert.doesNotThrow(() => validateEvent({ event: "llm.call", user_id: "u", timestamp: at, metadata: call }));
});

test("a full queue drops by its policy and counts every drop", () => {
  for (const [overflow, kept] of [["drop-oldest", ["2", "3"]], ["drop-newest", ["0", "1"]]]) {
    const queue = new EventQueue(2, overflow);
    const dropped = ["0", "1", "2", "3"].map((id) => queue.push({ event: { id }, body: id, bytes: 1 })).filter(Boolean);
    assert.equal(dropped.length, 2);
    assert.deepEqual(queue.take(10, 1e6).map((i) => i.event.id), kept);
  }
  const drops = [];
  const client = new PulseClient("http://127.0.0.1:9", "k", { ...quiet, flushIntervalMs: 1e9, maxQueueEvents: 3, maxBatchEvents: 1000, onDropped: (e) => drops.push(e) });
  for (let i = 0; i < 5; i += 1) client.track("a.b", `u${i}`);
  assert.equal(client.stats.dropped, 2);
  assert.deepEqual(drops.map((e) => e.user_id), ["u0", "u1"]);
  assert.equal(client.queued, 3);
});

test("Retry-After wins over a shorter backoff; dates and seconds both parse", () => {
  assert.equal(retryAfterMs("5"), 5000);
  assert.equal(retryAfterMs(new Date(Date.now() + 3000).toUTCString()) > 1000, true);
  assert.equal(retryAfterMs(null), null);
  assert.equal(backoffMs(0, { baseMs: 100, maxMs: 1000 }, 5000, () => 0), 5000);
  assert.equal(backoffMs(20, { baseMs: 100, maxMs: 1000 }, null, () => 1), 1000);
});

test("batches by count: 1200 events go as batches of at most 500", async () => {
  const api = await fakeApi([{ status: 202 }]);
  const client = new PulseClient(api.url, "k", { ...quiet, maxBatchEvents: 500 });
  for (let i = 0; i < 1200; i += 1) client.assignmentViewed(`u${i}`, viewed);
  await client.flush();
  await api.close();
  assert.deepEqual(api.received.map((r) => r.events.length).sort((a, b) => b - a), [500, 500, 200]);
  assert.equal(client.stats.accepted, 1200);
  assert.equal(api.received[0].headers["content-encoding"], "gzip");
  assert.equal(api.received[0].headers.authorization, "Bearer k");
});

test("batches by bytes and by time", async () => {
  const api = await fakeApi([{ status: 202 }]);
  const client = new PulseClient(api.url, "k", { ...quiet, maxBatchBytes: 4096, flushIntervalMs: 20 });
  for (let i = 0; i < 40; i += 1) client.track("custom.note", "u", { text: "y".repeat(500) });
  await client.flush();
  assert.ok(api.received.every((r) => JSON.stringify(r.events).length <= 4096));
  assert.ok(api.received.length >= 6);
  const before = api.received.length;
  client.track("custom.note", "u");
  const deadline = Date.now() + 5000;
  while (api.received.length === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  assert.equal(api.received.length, before + 1, "the interval sent a partial batch");
  await client.close();
  await api.close();
});

test("503 with Retry-After, a 500 and a dropped connection are retried with the same event ids", async () => {
  const api = await fakeApi([
    { status: 503, headers: { "Retry-After": "0" }, body: { detail: "Kafka unreachable" } },
    { status: 500, body: { detail: "oops" } },
    "hangup",
    { status: 202 },
  ]);
  const client = new PulseClient(api.url, "k", quiet);
  const ids = [client.track("a.b", "u1"), client.track("a.b", "u2")];
  await client.flush();
  await api.close();
  assert.equal(api.received.length, 4);
  for (const r of api.received) assert.deepEqual(r.events.map((e) => e.event_id), ids);
  assert.equal(client.stats.retries, 3);
  assert.equal(client.stats.accepted, 2);
});

test("rejected events reach onRejected with the server's reason; a 401 reaches onError", async () => {
  const rejections = [];
  const errors = [];
  let call = 0;
  const api = await fakeApi((_, events) => {
    call += 1;
    if (call === 2) return { status: 401, body: { detail: "this API key is not valid" } };
    const verdicts = accept(events);
    verdicts.accepted -= 1;
    verdicts.rejected = 1;
    verdicts.results[1] = { index: 1, status: "rejected", error: "metadata.subject: field required" };
    return { status: 202, body: verdicts };
  });
  const client = new PulseClient(api.url, "k", { ...quiet, onRejected: (r) => rejections.push(r), onError: (e, evs) => errors.push([e, evs]) });
  client.track("a.b", "u1");
  const bad = client.track("a.b", "u2");
  await client.flush();
  client.track("a.b", "u3");
  await client.flush();
  await api.close();
  assert.equal(rejections.length, 1);
  assert.equal(rejections[0].eventId, bad);
  assert.match(rejections[0].error, /metadata.subject/);
  assert.equal(errors.length, 1);
  assert.equal(errors[0][0].status, 401);
  assert.deepEqual(client.stats, { ...client.stats, accepted: 1, rejected: 1, failed: 1, retries: 0 });
});

test("a 413 splits the batch until each part fits", async () => {
  const api = await fakeApi((_, events) => (events.length > 2 ? { status: 413, body: { detail: "too large" } } : { status: 202 }));
  const client = new PulseClient(api.url, "k", quiet);
  for (let i = 0; i < 7; i += 1) client.track("a.b", `u${i}`);
  await client.flush();
  await api.close();
  assert.equal(client.stats.accepted, 7);
  assert.equal(client.stats.failed, 0);
});

test("a batch still failing after giveUpAfterMs is counted as failed, not retried forever", async () => {
  const api = await fakeApi([{ status: 503, body: { detail: "down" } }]);
  const errors = [];
  const client = new PulseClient(api.url, "k", { ...quiet, giveUpAfterMs: 1000, onError: (e) => errors.push(e) });
  client.track("a.b", "u1");
  await client.flush();
  await api.close();
  assert.equal(client.stats.failed, 1);
  assert.equal(errors.length, 1);
  assert.ok(api.received.length >= 2);
});

test("page hide sends the queue with keepalive, uncompressed, and re-sends in-flight batches with their ids", async () => {
  const calls = [];
  let release;
  const held = new Promise((resolve) => { release = resolve; });
  const fetchSpy = async (url, init) => {
    const events = JSON.parse(typeof init.body === "string" ? init.body : gunzipSync(init.body).toString());
    calls.push({ keepalive: init.keepalive, gzip: "Content-Encoding" in init.headers, ids: events.map((e) => e.event_id) });
    if (!init.keepalive) await held; // the page's ordinary request never finishes
    return new Response(JSON.stringify(accept(events)), { status: 202 });
  };
  const client = new PulseClient("http://api.test", "k", { ...quiet, fetch: fetchSpy, maxBatchEvents: 3, concurrency: 1, flushIntervalMs: 1e9 });
  const ids = Array.from({ length: 5 }, (_, i) => client.track("custom.seen", `u${i}`, { pad: "z".repeat(400) }));
  await until(() => calls.length === 1);
  assert.equal(client.queued, 2, "one full batch in flight, two events queued");
  assert.equal(calls[0].gzip, true);
  client.flushOnHide();
  await until(() => calls.length === 3);
  const keepalive = calls.filter((c) => c.keepalive);
  assert.deepEqual(keepalive.map((c) => c.ids), [ids.slice(0, 3), ids.slice(3)]);
  assert.ok(keepalive.every((c) => !c.gzip));
  release();
  await client.flush();
  assert.equal(client.stats.accepted, 5, "the batch answered twice is counted once");
});

test("a callback that throws does not stop delivery", async () => {
  const api = await fakeApi([{ status: 202 }]);
  const client = new PulseClient(api.url, "k", { ...quiet, overflow: "drop-newest", maxQueueEvents: 1, flushIntervalMs: 1e9, onDropped: () => { throw new Error("boom"); } });
  const original = console.error;
  console.error = () => {};
  try {
    assert.notEqual(client.track("a.b", "u1"), null);
    assert.equal(client.track("a.b", "u2"), null, "refused by drop-newest");
  } finally {
    console.error = original;
  }
  await client.flush();
  await api.close();
  assert.equal(client.stats.accepted, 1);
  assert.equal(client.stats.dropped, 1);
});
