// A scripted HTTP server for the unit tests: answers each request with the next scripted reply
// and records what it received (decompressed), so tests can check ids, retries and splits.

import { createServer } from "node:http";
import { gunzipSync } from "node:zlib";

export async function fakeApi(script) {
  const received = [];
  const server = createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      let raw = Buffer.concat(chunks);
      if (req.headers["content-encoding"] === "gzip") raw = gunzipSync(raw);
      const events = JSON.parse(raw.toString("utf8"));
      received.push({ headers: req.headers, events });
      const reply = (typeof script === "function" ? script : (r) => script[Math.min(r.length - 1, script.length - 1)])(received, events);
      if (reply === "hangup") return req.socket.destroy();
      res.writeHead(reply.status, { "Content-Type": "application/json", ...(reply.headers ?? {}) });
      res.end(JSON.stringify(reply.body ?? accept(events)));
    });
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${server.address().port}`;
  return { url, received, close: () => new Promise((resolve) => { server.close(resolve); server.closeAllConnections(); }) };
}

export function accept(events) {
  return {
    accepted: events.length,
    rejected: 0,
    results: events.map((e, index) => ({ index, event_id: e.event_id, status: "accepted" })),
  };
}
