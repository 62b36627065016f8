// The bounded queue of events waiting for a batch. When full, the overflow policy decides which
// event is dropped; every drop is counted (stats.dropped) and reported, never silent.

export const OVERFLOW_POLICIES = ["drop-oldest", "drop-newest"];

export class EventQueue {
  constructor(maxEvents, overflow) {
    if (!OVERFLOW_POLICIES.includes(overflow)) {
      throw new TypeError(`overflow must be one of ${OVERFLOW_POLICIES.join(", ")}, not ${overflow}`);
    }
    this.maxEvents = maxEvents;
    this.overflow = overflow;
    this.items = [];
    this.head = 0;
    this.bytes = 0;
  }

  get length() {
    return this.items.length - this.head;
  }

  /** Adds an item ({event, body, bytes}); returns the item dropped to make room, if any. */
  push(item) {
    if (this.length < this.maxEvents) {
      this.items.push(item);
      this.bytes += item.bytes;
      return null;
    }
    if (this.overflow === "drop-newest") return item;
    const oldest = this.shift();
    this.items.push(item);
    this.bytes += item.bytes;
    return oldest;
  }

  shift() {
    if (this.length === 0) return undefined;
    const item = this.items[this.head];
    this.items[this.head] = undefined;
    this.head += 1;
    this.bytes -= item.bytes;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  /** Removes and returns the items of the next batch: at most `maxEvents` and `maxBytes`. */
  take(maxEvents, maxBytes) {
    const batch = [];
    let bytes = 2;
    while (this.length > 0 && batch.length < maxEvents) {
      const next = this.items[this.head];
      if (batch.length > 0 && bytes + next.bytes + 1 > maxBytes) break;
      bytes += next.bytes + 1;
      batch.push(this.shift());
    }
    return batch;
  }

  /** Puts items back at the front (a batch that could not be sent when the page hid). */
  unshift(items) {
    this.items = items.concat(this.items.slice(this.head));
    this.head = 0;
    this.bytes += items.reduce((sum, item) => sum + item.bytes, 0);
  }
}
