/** The HTTP form of the test controls, under CONTROL_PREFIX and nowhere else (see api.ts). */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { b2Fail } from './errors.js';
import type { Emulator } from './emulator.js';
import { parseFaultSpec } from './controls.js';
import { readJsonBody, sendJson } from './http-io.js';

type ControlHandler = (emu: Emulator, body: Record<string, unknown>) => unknown;

const OK = { ok: true };

const CONTROLS: Record<string, Record<string, ControlHandler>> = {
  '/faults': {
    POST: (emu, body) => {
      emu.controls.injectFault(parseFaultSpec(body));
      return OK;
    },
    DELETE: (emu) => {
      emu.controls.clearFaults();
      return OK;
    },
  },
  '/latency': {
    POST: (emu, body) => {
      const ms = body.ms;
      if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0)
        throw b2Fail('bad_request', 'ms must be a number >= 0');
      emu.controls.latencyMs = ms;
      return OK;
    },
  },
  '/clock': {
    POST: (emu, body) => {
      const { advanceMs, advanceDays } = body;
      const days = advanceDays === undefined ? 0 : advanceDays;
      const ms = advanceMs === undefined ? 0 : advanceMs;
      if (typeof days !== 'number' || typeof ms !== 'number' || !Number.isFinite(days) || !Number.isFinite(ms))
        throw b2Fail('bad_request', 'advanceMs and advanceDays must be numbers');
      emu.controls.advanceClock(Math.round(ms + days * 86_400_000));
      return { ok: true, now: emu.controls.now() };
    },
    GET: (emu) => ({ now: emu.controls.now() }),
  },
  '/expire-tokens': {
    POST: (emu) => {
      emu.tokens.expireAll();
      return OK;
    },
  },
  '/reset': {
    POST: async (emu) => {
      await emu.reset();
      return OK;
    },
  },
  '/counters': {
    GET: (emu) => emu.controls.counters(),
  },
  '/notifications': {
    GET: (emu) => emu.notifier.stats(),
  },
  '/counters/reset': {
    POST: (emu) => {
      emu.controls.resetCounters();
      return OK;
    },
  },
};

export async function handleControl(
  emu: Emulator,
  req: IncomingMessage,
  res: ServerResponse,
  sub: string,
): Promise<void> {
  const methods = Object.hasOwn(CONTROLS, sub) ? CONTROLS[sub] : undefined;
  if (!methods) throw b2Fail('not_found', `no such test control: ${sub || '/'}`);
  const method = req.method ?? 'GET';
  const handler = Object.hasOwn(methods, method) ? methods[method] : undefined;
  if (!handler)
    throw b2Fail('method_not_allowed', `${method} is not allowed here`, { Allow: Object.keys(methods).join(', ') });
  const body = method === 'POST' ? await readJsonBody(req) : {};
  sendJson(req, res, 200, await handler(emu, body));
}
