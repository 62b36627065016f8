// pulse-client: send learning-platform events to Pulse's ingest API from Node or a browser.

import { PulseClient } from "./client.js";

const HELPERS = {
  userLogin: "user.login",
  userLogout: "user.logout",
  assignmentViewed: "assignment.viewed",
  assignmentStarted: "assignment.started",
  assignmentHeartbeat: "assignment.heartbeat",
  assignmentSubmitted: "assignment.submitted",
  chatMessage: "chat.message",
  llmCall: "llm.call",
};

// Typed helpers for the known events: client.llmCall(userId, {model, prompt_tokens, ...}).
for (const [method, event] of Object.entries(HELPERS)) {
  PulseClient.prototype[method] = function known(userId, metadata = {}, options = {}) {
    return this.track(event, userId, metadata, options);
  };
}

export { PulseClient, DEFAULTS } from "./client.js";
export { PulseRequestError } from "./transport.js";
export { KNOWN_EVENTS, PulseValidationError, validateEvent } from "./validate.js";
export { OVERFLOW_POLICIES } from "./queue.js";
export { newEventId } from "./ids.js";
