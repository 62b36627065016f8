// Events/s from one Node process through the SDK, beside the ceiling measured in the same run:
// hand-written fetch calls posting pre-serialised batches of the same size and concurrency (no
// validation, no ids, no queue); and the SDK alone, against an API that answers at once.
// Prints one JSON line.
//   node bench/throughput.js URL KEY [EVENTS]

import { PulseClient } from "../src/index.js";

const [url, key, countArg] = process.argv.slice(2);
const count = Number(countArg ?? 20_000);
const batch = 500;
const concurrency = 2;
const metadata = { assignment_id: "hw-7", subject: "math", course_id: "c-1" };
const source = `bench-js-${Date.now()}`;

async function ceiling() {
  const bodies = [];
  for (let i = 0; i < count; i += batch) {
    const events = [];
    for (let j = i; j < Math.min(count, i + batch); j += 1) {
      events.push({ event_id: crypto.randomUUID(), event: "assignment.viewed", user_id: `s-${j % 500}`,
        timestamp: new Date().toISOString(), source: `${source}-raw`, metadata });
    }
    bodies.push(JSON.stringify(events));
  }
  const began = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < bodies.length) {
      const body = bodies[next++];
      const r = await fetch(`${url}/v1/events`, { method: "POST", body,
        headers: { Authorization: `Bearer ${key}`, "Content-Type": "application/json" } });
      if (r.status !== 202) throw new Error(`raw post: HTTP ${r.status}`);
      await r.arrayBuffer();
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return count / ((performance.now() - began) / 1000);
}

// The API answers every batch at once: what one process's SDK costs itself (validation, ids,
// serialisation, batching, gzip), with no network or server in the way.
async function instantFetch(_, init) {
  if (init.body instanceof Uint8Array) await new Response(init.body).arrayBuffer();
  return new Response(JSON.stringify({ accepted: batch, rejected: 0, results: [] }), { status: 202 });
}

async function sdk(gzip, fetchImpl = undefined) {
  const client = new PulseClient(url, key, { source: `${source}-sdk`, maxBatchEvents: batch, concurrency,
    gzip, flushOnExit: false, maxQueueEvents: count, fetch: fetchImpl });
  const began = performance.now();
  for (let i = 0; i < count; i += 1) client.assignmentViewed(`s-${i % 500}`, metadata);
  await client.close();
  const seconds = (performance.now() - began) / 1000;
  if (!fetchImpl && client.stats.accepted !== count) throw new Error(`sdk: ${JSON.stringify(client.stats)}`);
  return count / seconds;
}

const alone = await sdk(false, instantFetch);
const aloneGzip = await sdk(true, instantFetch);
await sdk(false); // warms the API's connections and the worker before the measured rounds
const raw = await ceiling();
const plain = await sdk(false);
const gzipped = await sdk(true);
const round = (x) => Math.round(x);
console.log(JSON.stringify({
  events: count, batch, concurrency, sdk_alone_events_per_s: round(alone),
  sdk_alone_gzip_events_per_s: round(aloneGzip), ceiling_events_per_s: round(raw),
  sdk_events_per_s: round(plain), sdk_gzip_events_per_s: round(gzipped),
  ratio: Number((plain / raw).toFixed(2)), ratio_gzip: Number((gzipped / raw).toFixed(2)),
}));
