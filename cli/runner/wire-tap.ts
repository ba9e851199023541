/**
 * What crossed a connection's transport, for the assertions the SDK's decoded results cannot
 * serve: the raw result of a test's request (its `resultType`, which the SDK strips, and the
 * `ttlMs` / `cacheScope` cache hints) and the notifications the server sent (on a 2026-07-28
 * `subscriptions/listen` stream, or the 2025 GET stream and response streams alike).
 *
 * The tap wraps the transport's `send` and `onmessage` and keeps only what a test watches: a
 * test registers the request it is about to make, and every leg of it is kept, the first one
 * and the retries of `input_required` rounds (the same method and params, plus
 * `inputResponses` / `requestState`), with their raw answers.
 */

/** The slice of an SDK transport the tap wraps. */
export interface TapTransport {
  send(message: any, options?: any): Promise<void>;
  onmessage?: ((message: any, extra?: any) => void) | undefined;
}

/** One request on the wire and its raw answer. */
export interface WireLeg {
  method: string;
  params: Record<string, unknown> | undefined;
  result?: Record<string, unknown>;
  error?: { code?: number; message?: string };
}

/** A notification the server sent, numbered in arrival order. */
export interface SeenNotification {
  seq: number;
  method: string;
  params?: unknown;
}

/** The legs of one request a test makes. */
export interface Watch {
  readonly legs: readonly WireLeg[];
  /** The last leg that got an answer: the final result of a multi-round-trip request. */
  final(): WireLeg | undefined;
  /** Stops attributing legs to this request. */
  done(): void;
}

export interface WireTap {
  /** Starts keeping the legs of a request of `method` with `params` (call it before sending). */
  watch(method: string, params: Record<string, unknown> | undefined): Watch;
  /** The number of the next notification to arrive. */
  readonly nextSeq: number;
  /** Notifications numbered `from` and later. */
  notificationsSince(from: number): SeenNotification[];
  /**
   * Waits until every method of `methods` arrived as a notification numbered `from` or later,
   * or `timeoutMs` passed, or `signal` aborted; resolves to the methods still missing.
   */
  waitForNotifications(
    from: number,
    methods: readonly string[],
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<string[]>;
}

/** Notifications kept for waiting tests; older ones are dropped. */
const KEPT_NOTIFICATIONS = 2_000;

/** The identity of a request across its legs: method and params without round-trip fields. */
function identity(method: string, params: unknown): string {
  if (params === null || typeof params !== 'object') return `${method} ${JSON.stringify(params ?? null)}`;
  const { _meta, inputResponses, requestState, ...rest } = params as Record<string, unknown>;
  return `${method} ${JSON.stringify(rest)}`;
}

const idKey = (id: unknown) => `${typeof id}:${String(id)}`;

/**
 * Taps `transport` (once: a second call returns the first tap). The transport keeps working as
 * before; the tap only reads.
 */
export function tapTransport(transport: TapTransport): WireTap {
  const existing = (transport as { __mcptestTap?: WireTap }).__mcptestTap;
  if (existing) return existing;

  const watches: Array<{ key: string; legs: WireLeg[]; active: boolean }> = [];
  const pending = new Map<string, WireLeg>();
  const kept: SeenNotification[] = [];
  let nextSeq = 0;
  const waiters = new Set<() => void>();

  const send = transport.send.bind(transport);
  transport.send = (message: any, options?: any) => {
    if (message && typeof message.method === 'string' && message.id !== undefined) {
      const key = identity(message.method, message.params);
      // Two tests making the same request at once: a leg goes to one not waiting for an answer
      // (a retry follows its answered leg), else to the oldest.
      const same = watches.filter((w) => w.active && w.key === key);
      const owner = same.find((w) => w.legs.every((l) => l.result || l.error)) ?? same[0];
      if (owner) {
        const leg: WireLeg = { method: message.method, params: message.params };
        owner.legs.push(leg);
        pending.set(idKey(message.id), leg);
      }
    }
    return send(message, options);
  };

  const seen = (message: any) => {
    if (!message || typeof message !== 'object') return;
    if (typeof message.method === 'string') {
      if (message.id !== undefined) return; // a server request: the connection layer records asks
      kept.push({ seq: nextSeq++, method: message.method, params: message.params });
      if (kept.length > KEPT_NOTIFICATIONS) kept.splice(0, kept.length - KEPT_NOTIFICATIONS);
      for (const wake of [...waiters]) wake();
      return;
    }
    if (message.id === undefined) return;
    const leg = pending.get(idKey(message.id));
    if (!leg) return;
    pending.delete(idKey(message.id));
    if (message.result && typeof message.result === 'object') leg.result = message.result;
    else if (message.error) leg.error = message.error;
  };

  // The SDK sets onmessage when it connects (and could again): keep the tap in front of
  // whichever handler is set.
  let handler = transport.onmessage;
  const tapped = (message: any, extra?: any) => {
    seen(message);
    handler?.(message, extra);
  };
  Object.defineProperty(transport, 'onmessage', {
    configurable: true,
    enumerable: true,
    get: () => tapped,
    set: (fn) => {
      handler = fn;
    },
  });

  const tap: WireTap = {
    watch(method, params) {
      const w = { key: identity(method, params), legs: [] as WireLeg[], active: true };
      watches.push(w);
      return {
        legs: w.legs,
        final: () => [...w.legs].reverse().find((l) => l.result !== undefined || l.error !== undefined),
        done: () => {
          w.active = false;
          const at = watches.indexOf(w);
          if (at >= 0) watches.splice(at, 1);
        },
      };
    },
    get nextSeq() {
      return nextSeq;
    },
    notificationsSince: (from) => kept.filter((n) => n.seq >= from),
    waitForNotifications(from, methods, timeoutMs, signal) {
      const missing = () => {
        const got = new Set(kept.filter((n) => n.seq >= from).map((n) => n.method));
        return methods.filter((m) => !got.has(m));
      };
      if (missing().length === 0 || signal?.aborted) return Promise.resolve(missing());
      return new Promise((resolve) => {
        const finish = () => {
          clearTimeout(timer);
          waiters.delete(check);
          signal?.removeEventListener('abort', finish);
          resolve(missing());
        };
        const check = () => {
          if (missing().length === 0) finish();
        };
        const timer = setTimeout(finish, timeoutMs);
        waiters.add(check);
        signal?.addEventListener('abort', finish, { once: true });
      });
    },
  };
  Object.defineProperty(transport, '__mcptestTap', { value: tap, enumerable: false });
  return tap;
}
