// Compile-only check of index.d.ts (README: "Types"); never run.
import { PulseClient, PulseValidationError, type Rejection } from "pulse-client";
const c = new PulseClient("http://x", "k", { overflow: "drop-newest", onRejected: (r: Rejection) => r.error.length });
const id: string | null = c.llmCall("u", { model: "m", prompt_tokens: 1, completion_tokens: 2, cost_usd: 0 });
c.assignmentViewed("u", { assignment_id: "a", subject: "s" }, { timestamp: new Date() });
// @ts-expect-error subject is required
c.assignmentViewed("u", { assignment_id: "a" });
// @ts-expect-error not a policy
new PulseClient("u", "k", { overflow: "drop-all" });
const n: number = c.stats.dropped + c.queued;
await c.flush();
try { c.track("a.b", "u"); } catch (e) { if (e instanceof PulseValidationError) e.field.toUpperCase(); }
export { id, n };
