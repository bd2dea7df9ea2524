import { Counters, silentLogger, type StageContext } from '../core/types.js';

/** A stage context for running one stage alone: silent log, fresh counters, a signal that never aborts. */
export function testContext<C>(config: C): StageContext<C> {
  return { config, log: silentLogger, counters: new Counters(), signal: new AbortController().signal };
}
