// PulseClient: events in, batches out. Batches by count, bytes and time; retries what may pass
// later with the same event ids; a bounded queue whose overflow is counted; flush() and flush on
// page hide (fetch keepalive) or at the end of a Node process.

import { newEventId, utf8Length } from "./ids.js";
import { idleTimer, onPageHide, onProcessExit } from "./lifecycle.js";
import { EventQueue } from "./queue.js";
import { PulseRequestError, backoffMs, canGzip, isRetryableStatus, postBatch, retryAfterMs } from "./transport.js";
import { MAX_EVENT_BYTES, PulseValidationError, validateEvent } from "./validate.js";

const API_MAX_BATCH_EVENTS = 1000;
const API_MAX_BODY_BYTES = 1024 * 1024;

export const DEFAULTS = Object.freeze({
  maxBatchEvents: 500,
  maxBatchBytes: 512 * 1024,
  flushIntervalMs: 1000,
  maxQueueEvents: 10_000,
  overflow: "drop-oldest",
  concurrency: 2,
  gzip: true,
  timeoutMs: 10_000,
  retryBaseMs: 250,
  retryMaxMs: 30_000,
  giveUpAfterMs: 10 * 60 * 1000,
  keepaliveBudgetBytes: 60 * 1024,
  flushOnPageHide: true,
  flushOnExit: true,
  validate: true,
});

const noop = () => {};

// A user's callback that throws must not break delivery: its error is reported, not raised.
function safely(callback, ...args) {
  try {
    callback(...args);
  } catch (error) {
    console.error("pulse-client: a callback threw", error);
  }
}

export class PulseClient {
  /** `url` is the API's base URL; `key` a producer key (see docs/sdk-js.md for browsers). */
  constructor(url, key, options = {}) {
    if (!url || !key) throw new TypeError("PulseClient(url, key): both are required");
    this.options = { ...DEFAULTS, ...options };
    const o = this.options;
    o.maxBatchEvents = Math.min(o.maxBatchEvents, API_MAX_BATCH_EVENTS);
    o.maxBatchBytes = Math.min(o.maxBatchBytes, API_MAX_BODY_BYTES);
    this.endpoint = `${String(url).replace(/\/+$/, "")}/v1/events`;
    this.key = key;
    this.fetch = o.fetch ?? globalThis.fetch.bind(globalThis);
    this.onRejected = o.onRejected ?? noop;
    this.onDropped = o.onDropped ?? noop;
    this.onError = o.onError ?? noop;
    this.queue = new EventQueue(o.maxQueueEvents, o.overflow);
    this.inFlight = new Set();
    this.timer = null;
    this.closed = false;
    this.stats = { tracked: 0, accepted: 0, rejected: 0, dropped: 0, failed: 0, retries: 0, batches: 0 };
    this.unhook = [
      o.flushOnPageHide ? onPageHide(() => this.flushOnHide()) : noop,
      o.flushOnExit ? onProcessExit(() => this.flush()) : noop,
    ];
  }

  /** Events waiting in the queue (not yet in a batch). */
  get queued() {
    return this.queue.length;
  }

  /**
   * Queues one event and returns its event id (null when a full `drop-newest` queue refused it);
   * throws PulseValidationError on a bad event.
   */
  track(event, userId, metadata = {}, options = {}) {
    if (this.closed) throw new Error("PulseClient is closed: make a new one");
    const wire = {
      event_id: options.eventId ?? newEventId(),
      event,
      user_id: userId,
      timestamp: toTimestamp(options.timestamp),
      metadata,
    };
    const source = options.source ?? this.options.source;
    const sessionId = options.sessionId ?? this.options.sessionId;
    if (source != null) wire.source = source;
    if (sessionId != null) wire.session_id = sessionId;
    if (this.options.validate) validateEvent(wire);
    const body = JSON.stringify(wire);
    const bytes = utf8Length(body);
    if (bytes > MAX_EVENT_BYTES) throw new PulseValidationError("event", `${bytes} bytes, at most 32 KB`);
    this.stats.tracked += 1;
    const dropped = this.queue.push({ event: wire, body, bytes });
    if (dropped) this.drop(dropped, "queue full");
    this.pump(false);
    return dropped?.event === wire ? null : wire.event_id;
  }

  drop(item, reason) {
    this.stats.dropped += 1;
    safely(this.onDropped, item.event, reason);
  }

  /** Starts every batch it may: full ones always, partial ones when `force` (timer, flush). */
  pump(force) {
    const o = this.options;
    while (this.inFlight.size < o.concurrency && this.queue.length > 0) {
      const full = this.queue.length >= o.maxBatchEvents || this.queue.bytes >= o.maxBatchBytes;
      if (!full && !force) break;
      this.start({ items: this.queue.take(o.maxBatchEvents, o.maxBatchBytes), done: false }, false);
    }
    if (this.queue.length > 0 && this.timer === null) {
      this.timer = idleTimer(() => {
        this.timer = null;
        this.pump(true);
      }, o.flushIntervalMs);
    }
  }

  start(batch, keepalive) {
    const sending = this.send(batch, keepalive).finally(() => {
      this.inFlight.delete(sending);
      this.pump(false);
    });
    sending.batch = batch;
    this.inFlight.add(sending);
    return sending;
  }

  /** Sends one batch until it is answered for good; never rejects. */
  async send(batch, keepalive) {
    const o = this.options;
    const text = `[${batch.items.map((item) => item.body).join(",")}]`;
    const begun = Date.now();
    for (let attempt = 0; !batch.done; attempt += 1) {
      let answer = null;
      let failure = null;
      try {
        answer = await postBatch(this.endpoint, this.key, text, {
          gzipBody: o.gzip && !keepalive && canGzip() && text.length > 1024,
          keepalive,
          timeoutMs: o.timeoutMs,
          fetchImpl: this.fetch,
        });
      } catch (error) {
        failure = error;
      }
      if (batch.done) return;
      if (answer && answer.status === 202) return this.settle(batch, answer.body);
      if (answer && answer.status === 413 && batch.items.length > 1) return this.split(batch, keepalive);
      if (answer && !isRetryableStatus(answer.status)) {
        const detail = answer.body?.detail ?? "refused";
        return this.fail(batch, new PulseRequestError(answer.status, JSON.stringify(detail)));
      }
      const wait = backoffMs(attempt, { baseMs: o.retryBaseMs, maxMs: o.retryMaxMs }, retryAfterMs(answer?.retryAfter));
      if (Date.now() - begun + wait > o.giveUpAfterMs) {
        return this.fail(batch, failure ?? new PulseRequestError(answer.status, "still failing: gave up"));
      }
      this.stats.retries += 1;
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }

  async split(batch, keepalive) {
    batch.done = true;
    const half = Math.ceil(batch.items.length / 2);
    const parts = [batch.items.slice(0, half), batch.items.slice(half)];
    await Promise.all(parts.map((items) => this.send({ items, done: false }, keepalive)));
  }

  settle(batch, verdicts) {
    batch.done = true;
    this.stats.batches += 1;
    this.stats.accepted += verdicts?.accepted ?? 0;
    for (const result of verdicts?.results ?? []) {
      if (result.status !== "rejected") continue;
      this.stats.rejected += 1;
      const item = batch.items[result.index];
      safely(this.onRejected, { event: item?.event, eventId: item?.event.event_id, error: result.error });
    }
  }

  fail(batch, error) {
    batch.done = true;
    this.stats.failed += batch.items.length;
    safely(this.onError, error, batch.items.map((item) => item.event));
  }

  /** Sends everything queued so far and resolves once every batch is answered for good. */
  async flush() {
    for (;;) {
      this.pump(true);
      if (this.inFlight.size === 0 && this.queue.length === 0) return;
      await Promise.race(this.inFlight);
    }
  }

  /**
   * The page is hidden or left: send what is queued, and re-send what is in flight, with
   * `fetch(..., {keepalive: true})` so the requests outlive the page. Browsers allow about 64 KB
   * of keepalive bodies at once; events past `keepaliveBudgetBytes` stay queued and go out if the
   * page is shown again. Re-sent events keep their ids, so the API stores each once.
   */
  flushOnHide() {
    let budget = this.options.keepaliveBudgetBytes;
    for (const sending of this.inFlight) {
      const { batch } = sending;
      const size = batch.items.reduce((sum, item) => sum + item.bytes + 1, 2);
      if (batch.done || batch.resent || size > budget) continue;
      batch.resent = true;
      budget -= size;
      this.send(batch, true);
    }
    while (this.queue.length > 0 && budget > 0) {
      const items = this.queue.take(this.options.maxBatchEvents, Math.min(budget, this.options.maxBatchBytes));
      const size = items.reduce((sum, item) => sum + item.bytes + 1, 2);
      if (size > budget) {
        this.queue.unshift(items);
        break;
      }
      budget -= size;
      this.start({ items, done: false, resent: true }, true);
    }
  }

  /** Flushes, then unhooks from the page or process; track() throws afterwards. */
  async close() {
    await this.flush();
    this.closed = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    for (const unhook of this.unhook) unhook();
  }
}

function toTimestamp(value) {
  if (value === undefined || value === null) return new Date().toISOString();
  if (value instanceof Date) return value.toISOString();
  if (typeof value === "number") return new Date(value).toISOString();
  return value;
}
