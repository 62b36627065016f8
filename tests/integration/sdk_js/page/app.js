// The browser test's page: ?api=URL&key=KEY&source=TAG&n=COUNT. Tracks COUNT events and waits:
// the flush interval is far away and the batch never fills, so only page hide sends them.
import { PulseClient } from "./sdk/index.js";

const params = new URLSearchParams(location.search);
const client = new PulseClient(params.get("api"), params.get("key"), {
  source: params.get("source"),
  sessionId: "browser-test",
  flushIntervalMs: 600_000,
  maxBatchEvents: 1000,
});
const n = Number(params.get("n"));
window.pulseIds = [];
for (let i = 0; i < n; i += 1) {
  window.pulseIds.push(
    client.assignmentViewed(`browser-student-${i % 7}`, { assignment_id: `hw-${i}`, subject: "math" }),
  );
}
window.pulseClient = client;
document.title = "ready";
