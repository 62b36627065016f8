// Where the client hooks into its host: page hide in browsers, the end of the event loop in Node.

/** Calls `onHide` when the page is hidden or left; returns the function that unhooks it. */
export function onPageHide(onHide) {
  if (typeof addEventListener !== "function" || typeof document === "undefined") return () => {};
  const visibility = () => {
    if (document.visibilityState === "hidden") onHide();
  };
  addEventListener("pagehide", onHide);
  document.addEventListener("visibilitychange", visibility);
  return () => {
    removeEventListener("pagehide", onHide);
    document.removeEventListener("visibilitychange", visibility);
  };
}

/** Calls `onExit` (async) when Node's event loop runs dry; returns the unhook function. */
export function onProcessExit(onExit) {
  const proc = globalThis.process;
  if (!proc || typeof proc.on !== "function" || typeof document !== "undefined") return () => {};
  proc.on("beforeExit", onExit);
  return () => proc.off("beforeExit", onExit);
}

/** setTimeout that does not hold a Node process open (no-op elsewhere). */
export function idleTimer(fn, ms) {
  const timer = setTimeout(fn, ms);
  if (typeof timer === "object" && typeof timer.unref === "function") timer.unref();
  return timer;
}
