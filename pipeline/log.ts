import type { Logger } from '../core/types.js';
import { REDACTED, redactDeep, redactText } from '../stages/shared/redact.js';

const SECRET_KEYS = /key|token|secret|password|authorization/i;

function redact(fields: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (!fields) return fields;
  return Object.fromEntries(
    Object.entries(fields).map(([k, v]) => [k, SECRET_KEYS.test(k) ? REDACTED : redactDeep(v)]),
  );
}

/** JSON lines on a pipe, readable lines on a terminal; always on stderr so stdout stays for results. */
export function createLogger(base: Record<string, unknown> = {}, stream: NodeJS.WriteStream = process.stderr): Logger {
  const json = !stream.isTTY;
  const emit = (level: string, msg: string, fields?: Record<string, unknown>) => {
    const safe = redact(fields);
    msg = redactText(msg);
    if (json) {
      stream.write(JSON.stringify({ time: new Date().toISOString(), level, msg, ...base, ...safe }) + '\n');
    } else {
      const extra = safe && Object.keys(safe).length ? ' ' + JSON.stringify(safe) : '';
      stream.write(`${level === 'info' ? '' : level.toUpperCase() + ': '}${msg}${extra}\n`);
    }
  };
  // Debug lines go to the JSON log (a pipe or file), not to a terminal, where they would break up the
  // progress bars; QCC_LOG_LEVEL=debug shows them there too.
  const debug = json || process.env.QCC_LOG_LEVEL === 'debug';
  return {
    debug: (msg, fields) => {
      if (debug) emit('debug', msg, fields);
    },
    info: (msg, fields) => emit('info', msg, fields),
    warn: (msg, fields) => emit('warn', msg, fields),
    error: (msg, fields) => emit('error', msg, fields),
  };
}

/** The same logger with fields added to every line (run id, step, shard), for log shippers to group by. */
export function withFields(log: Logger, fields: Record<string, unknown>): Logger {
  return {
    debug: (msg, more) => log.debug?.(msg, { ...fields, ...more }),
    info: (msg, more) => log.info(msg, { ...fields, ...more }),
    warn: (msg, more) => log.warn(msg, { ...fields, ...more }),
    error: (msg, more) => log.error(msg, { ...fields, ...more }),
  };
}
