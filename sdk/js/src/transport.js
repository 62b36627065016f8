// One HTTP attempt of one batch and the retry schedule between attempts.

const RETRYABLE = new Set([408, 425, 429, 500, 502, 503, 504]);

/** Thrown for an answer that retrying will not change (400, 401, 403, 413, ...). */
export class PulseRequestError extends Error {
  constructor(status, detail) {
    super(`HTTP ${status}: ${detail}`);
    this.name = "PulseRequestError";
    this.status = status;
    this.detail = detail;
  }
}

export function isRetryableStatus(status) {
  return RETRYABLE.has(status) || (status >= 500 && status !== 501 && status !== 505);
}

/** Milliseconds a Retry-After header asks for (seconds or an HTTP date), or null. */
export function retryAfterMs(header, now = Date.now()) {
  if (!header) return null;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}

/** Exponential backoff with full jitter; the server's Retry-After wins when it asks for longer. */
export function backoffMs(attempt, { baseMs, maxMs }, serverMs = null, random = Math.random) {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 30));
  const jittered = ceiling / 2 + random() * (ceiling / 2);
  return serverMs === null ? jittered : Math.min(Math.max(serverMs, jittered), Math.max(maxMs, serverMs));
}

async function gzip(text) {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

export const canGzip = () => typeof CompressionStream === "function";

/**
 * POST one body; resolves to {status, body, retryAfter} for any HTTP answer, rejects on a
 * network failure or timeout. `keepalive` lets the request outlive the page (64 KB budget).
 */
export async function postBatch(url, key, text, { gzipBody, keepalive, timeoutMs, fetchImpl }) {
  const headers = { Authorization: `Bearer ${key}`, "Content-Type": "application/json" };
  let body = text;
  if (gzipBody) {
    body = await gzip(text);
    headers["Content-Encoding"] = "gzip";
  }
  const signal = timeoutMs > 0 && !keepalive ? AbortSignal.timeout(timeoutMs) : undefined;
  const response = await fetchImpl(url, { method: "POST", headers, body, keepalive, signal });
  let parsed = null;
  try {
    parsed = await response.json();
  } catch {
    parsed = null;
  }
  return { status: response.status, body: parsed, retryAfter: response.headers.get("Retry-After") };
}
