/**
 * An `AbortSignal` that aborts when the process receives one of `signals` (default SIGTERM and
 * SIGINT), with the signal's name as its `reason`: what an extension's entrypoint passes to
 * `runExtension`. Installs one listener per signal when called (never at import).
 */
export function abortOnSignals(signals: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT'], target: Pick<NodeJS.Process, 'once'> = process): AbortSignal {
  const controller = new AbortController();
  for (const sig of signals) target.once(sig, () => controller.abort(sig));
  return controller.signal;
}
