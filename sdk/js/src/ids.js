// Client-generated event ids: assigned when an event is made, so every retry and every
// re-send at page hide carries the same id and the API stores the event once.

function fromRandomBytes() {
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** A random (v4) UUID; crypto.randomUUID where the page or runtime has it. */
export function newEventId() {
  return typeof crypto.randomUUID === "function" ? crypto.randomUUID() : fromRandomBytes();
}

/** Bytes of `text` in UTF-8, without allocating. */
export function utf8Length(text) {
  let bytes = 0;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      bytes += 4;
      i += 1;
    } else bytes += 3;
  }
  return bytes;
}
