// Sends COUNT events at RATE per second through the SDK, printing its stats as one JSON line every
// 250 ms and a final line once everything is answered for good.
//   node outage_sender.js URL KEY SOURCE COUNT RATE
import { PulseClient } from "../../../sdk/js/src/index.js";

const [url, key, source, countArg, rateArg] = process.argv.slice(2);
const count = Number(countArg);
const perTick = Math.max(1, Math.round(Number(rateArg) / 10));
const client = new PulseClient(url, key, {
  source, flushIntervalMs: 200, maxQueueEvents: count, retryMaxMs: 2000, timeoutMs: 5000, flushOnExit: false,
});
const report = (done) => console.log(JSON.stringify({ ...client.stats, queued: client.queued, done }));
const reporter = setInterval(() => report(false), 250);
let made = 0;
await new Promise((resolve) => {
  const ticker = setInterval(() => {
    for (let i = 0; i < perTick && made < count; i += 1, made += 1) {
      client.assignmentHeartbeat(`outage-student-${made % 97}`, { assignment_id: `hw-${made % 13}`, subject: "math" });
    }
    if (made >= count) {
      clearInterval(ticker);
      resolve();
    }
  }, 100);
});
await client.close();
clearInterval(reporter);
report(true);
