// Caller-side checks of one event, the same rules as the API (docs/events.md), so a bad event
// fails where it is made with the field named, instead of as a rejection seconds later.

export const EVENT_NAME = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/;
export const MAX_EVENT_BYTES = 32 * 1024;
const FUTURE_SLACK_MS = 24 * 3600 * 1000;
const OFFSET = /(Z|[+-]\d{2}:\d{2})$/i;
// Control characters, format characters (bidi overrides, zero-width space, BOM) but for the two
// joiners real text needs (ZWNJ in Persian and Indic names, ZWJ in emoji sequences), separators
// of lines and paragraphs and lone surrogates are refused, as the server refuses them.
const PRINTABLE = /^(?:[^\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}]|[\u200C\u200D])+$/u;
// Token counts are summed in UInt64 columns: at most 10^12 a call keeps every sum exact.
export const MAX_TOKENS = 1e12;

/** Thrown by track() and the helpers: `field` names what to change. */
export class PulseValidationError extends Error {
  constructor(field, message) {
    super(`${field}: ${message}`);
    this.name = "PulseValidationError";
    this.field = field;
  }
}

const str = (max = 256) => ({ type: "string", max });
const int0 = { type: "integer", min: 0 };
const tokens = { type: "integer", min: 0, max: MAX_TOKENS };
const num0 = { type: "number", min: 0 };
const assignment = { required: { assignment_id: str(), subject: str() }, optional: { course_id: str(Infinity) } };

// Known events validate their metadata strictly; any other name is a custom event.
export const KNOWN_EVENTS = {
  "user.login": { optional: { role: { type: "enum", values: ["student", "teacher", "admin"] } } },
  "user.logout": { optional: { role: { type: "enum", values: ["student", "teacher", "admin"] } } },
  "assignment.viewed": assignment,
  "assignment.started": assignment,
  "assignment.heartbeat": assignment,
  "assignment.submitted": {
    required: assignment.required,
    optional: { ...assignment.optional, score: { type: "number", min: 0, max: 100 } },
  },
  "chat.message": {
    required: { conversation_id: str() },
    optional: { role: { type: "enum", values: ["user", "assistant"] }, chars: int0 },
  },
  "llm.call": {
    required: { model: str(), prompt_tokens: tokens, completion_tokens: tokens, cost_usd: num0 },
    optional: { provider: str(Infinity), latency_ms: num0, feature: str(Infinity) },
  },
};

function checkValue(field, value, rule) {
  if (rule.type === "string") {
    if (typeof value !== "string") throw new PulseValidationError(field, "must be a string");
    if (value.length > rule.max) throw new PulseValidationError(field, `at most ${rule.max} characters`);
  } else if (rule.type === "enum") {
    if (!rule.values.includes(value)) throw new PulseValidationError(field, `one of ${rule.values.join(", ")}`);
  } else {
    const isNumber = typeof value === "number" && Number.isFinite(value);
    if (!isNumber || (rule.type === "integer" && !Number.isInteger(value))) {
      throw new PulseValidationError(field, `must be ${rule.type === "integer" ? "an integer" : "a number"}`);
    }
    if (rule.min !== undefined && value < rule.min) throw new PulseValidationError(field, `must be >= ${rule.min}`);
    if (rule.max !== undefined && value > rule.max) throw new PulseValidationError(field, `must be <= ${rule.max}`);
  }
}

function checkMetadata(event, metadata) {
  const spec = KNOWN_EVENTS[event];
  if (!spec) return;
  for (const [name, rule] of Object.entries(spec.required ?? {})) {
    if (metadata[name] === undefined || metadata[name] === null) {
      throw new PulseValidationError(`metadata.${name}`, `required for ${event}`);
    }
    checkValue(`metadata.${name}`, metadata[name], rule);
  }
  for (const [name, rule] of Object.entries(spec.optional ?? {})) {
    if (metadata[name] !== undefined && metadata[name] !== null) checkValue(`metadata.${name}`, metadata[name], rule);
  }
}

function checkTimestamp(timestamp, now) {
  if (typeof timestamp !== "string" || !OFFSET.test(timestamp)) {
    throw new PulseValidationError("timestamp", "RFC 3339 with an offset, e.g. 2026-11-20T14:03:07.120Z");
  }
  const ms = Date.parse(timestamp);
  if (Number.isNaN(ms)) throw new PulseValidationError("timestamp", `not a date: ${timestamp}`);
  if (ms < 0) throw new PulseValidationError("timestamp", "before 1970-01-01T00:00:00Z");
  if (ms > now + FUTURE_SLACK_MS) throw new PulseValidationError("timestamp", "more than 24 h in the future");
}

function checkOptionalString(field, value, max) {
  if (value === undefined || value === null) return;
  if (typeof value !== "string" || value.length > max) {
    throw new PulseValidationError(field, `a string of at most ${max} characters`);
  }
}

/** Throws PulseValidationError unless `event` (a wire-format object) would be accepted. */
export function validateEvent(event, now = Date.now()) {
  if (typeof event.event !== "string" || event.event.length > 128 || !EVENT_NAME.test(event.event)) {
    throw new PulseValidationError("event", "lower-case dotted name like assignment.viewed");
  }
  const user = event.user_id;
  // Counted in code points, as the server counts: an emoji is one character, not two.
  if (typeof user !== "string" || !PRINTABLE.test(user) || [...user].length > 128) {
    throw new PulseValidationError("user_id", "1 to 128 printable characters");
  }
  checkTimestamp(event.timestamp, now);
  checkOptionalString("source", event.source, 64);
  checkOptionalString("session_id", event.session_id, 128);
  const metadata = event.metadata;
  if (typeof metadata !== "object" || metadata === null || Array.isArray(metadata)) {
    throw new PulseValidationError("metadata", "must be a JSON object");
  }
  checkMetadata(event.event, metadata);
}
