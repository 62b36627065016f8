// Types of pulse-client (hand-written; the package is plain ES modules).

/** One event as the API receives it (docs/events.md). */
export interface PulseEvent<M extends object = Record<string, unknown>> {
  event_id: string;
  event: string;
  user_id: string;
  timestamp: string;
  source?: string;
  session_id?: string;
  metadata: M;
}

export type Role = "student" | "teacher" | "admin";

export interface UserSessionMetadata {
  role?: Role | null;
  [key: string]: unknown;
}

export interface AssignmentMetadata {
  assignment_id: string;
  subject: string;
  course_id?: string | null;
  [key: string]: unknown;
}

export interface AssignmentSubmittedMetadata extends AssignmentMetadata {
  /** 0..100 */
  score?: number | null;
}

export interface ChatMessageMetadata {
  conversation_id: string;
  role?: "user" | "assistant" | null;
  chars?: number | null;
  [key: string]: unknown;
}

export interface LlmCallMetadata {
  model: string;
  /** integer >= 0 */
  prompt_tokens: number;
  /** integer >= 0 */
  completion_tokens: number;
  /** >= 0 */
  cost_usd: number;
  provider?: string | null;
  latency_ms?: number | null;
  feature?: string | null;
  [key: string]: unknown;
}

export interface TrackOptions {
  /** Event time; default now. A Date, epoch milliseconds or an RFC 3339 string with an offset. */
  timestamp?: Date | number | string;
  /** Your own UUID; default a new random one. The same id is stored once. */
  eventId?: string;
  source?: string;
  sessionId?: string;
}

export type OverflowPolicy = "drop-oldest" | "drop-newest";

export interface Rejection {
  event: PulseEvent;
  eventId: string;
  /** The server's reason, e.g. "metadata.assignment_id: field required". */
  error: string;
}

export interface PulseClientOptions {
  /** Events per request (at most 1000). Default 500. */
  maxBatchEvents?: number;
  /** Uncompressed bytes per request (at most 1 MiB). Default 512 KiB. */
  maxBatchBytes?: number;
  /** A partial batch waits at most this long. Default 1000. */
  flushIntervalMs?: number;
  /** Events waiting at most; past it the overflow policy drops one (counted). Default 10000. */
  maxQueueEvents?: number;
  /** Which event a full queue drops. Default "drop-oldest". */
  overflow?: OverflowPolicy;
  /** Requests in flight at once. Default 2. */
  concurrency?: number;
  /** gzip request bodies over 1 KB where CompressionStream exists. Default true. */
  gzip?: boolean;
  /** Per-request timeout. Default 10000. */
  timeoutMs?: number;
  /** First retry delay; doubles each try, with jitter. Default 250. */
  retryBaseMs?: number;
  /** Longest delay between tries (a longer Retry-After still wins). Default 30000. */
  retryMaxMs?: number;
  /** A batch still failing after this long is given up (onError, stats.failed). Default 600000. */
  giveUpAfterMs?: number;
  /** keepalive bytes sent when the page hides (browsers allow ~64 KB). Default 61440. */
  keepaliveBudgetBytes?: number;
  /** Send with fetch keepalive on pagehide / visibilitychange=hidden. Default true. */
  flushOnPageHide?: boolean;
  /** Flush when Node's event loop runs dry (beforeExit). Default true. */
  flushOnExit?: boolean;
  /** Check events where they are made. Default true. */
  validate?: boolean;
  /** Default `source` and `session_id` of every event. */
  source?: string;
  sessionId?: string;
  /** The server rejected this event (it is not retried: fix it). */
  onRejected?: (rejection: Rejection) => void;
  /** The queue was full and this event was dropped. */
  onDropped?: (event: PulseEvent, reason: string) => void;
  /** A batch failed for good (bad key, give-up time passed); its events are counted in stats.failed. */
  onError?: (error: Error, events: PulseEvent[]) => void;
  /** Your fetch (default globalThis.fetch). */
  fetch?: typeof fetch;
}

export interface PulseStats {
  tracked: number;
  accepted: number;
  rejected: number;
  dropped: number;
  failed: number;
  retries: number;
  batches: number;
}

export declare const DEFAULTS: Readonly<Required<Omit<PulseClientOptions,
  "source" | "sessionId" | "onRejected" | "onDropped" | "onError" | "fetch">>>;
export declare const OVERFLOW_POLICIES: readonly OverflowPolicy[];
export declare const KNOWN_EVENTS: Readonly<Record<string, unknown>>;

export declare class PulseClient {
  constructor(url: string, key: string, options?: PulseClientOptions);
  readonly stats: PulseStats;
  /** Events waiting in the queue (not yet in a batch). */
  readonly queued: number;
  /** Queue one event; its event id, or null when a full drop-newest queue refused it. Throws PulseValidationError on a bad event. */
  track(event: string, userId: string, metadata?: Record<string, unknown>, options?: TrackOptions): string | null;
  userLogin(userId: string, metadata?: UserSessionMetadata, options?: TrackOptions): string | null;
  userLogout(userId: string, metadata?: UserSessionMetadata, options?: TrackOptions): string | null;
  assignmentViewed(userId: string, metadata: AssignmentMetadata, options?: TrackOptions): string | null;
  assignmentStarted(userId: string, metadata: AssignmentMetadata, options?: TrackOptions): string | null;
  assignmentHeartbeat(userId: string, metadata: AssignmentMetadata, options?: TrackOptions): string | null;
  assignmentSubmitted(userId: string, metadata: AssignmentSubmittedMetadata, options?: TrackOptions): string | null;
  chatMessage(userId: string, metadata: ChatMessageMetadata, options?: TrackOptions): string | null;
  llmCall(userId: string, metadata: LlmCallMetadata, options?: TrackOptions): string | null;
  /** Send everything queued; resolves once every batch is answered for good. */
  flush(): Promise<void>;
  /** Send with fetch keepalive now (what page hide does). */
  flushOnHide(): void;
  /** flush(), then unhook from the page or process. */
  close(): Promise<void>;
}

export declare class PulseValidationError extends Error {
  /** The field to change, e.g. "metadata.assignment_id". */
  readonly field: string;
}

export declare class PulseRequestError extends Error {
  readonly status: number;
  readonly detail: string;
}

export declare function validateEvent(event: PulseEvent, now?: number): void;
export declare function newEventId(): string;
