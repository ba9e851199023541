/**
 * A tiny in-memory oidc-provider adapter whose contents the test IdP can inspect, so a test can
 * revoke every grant at once (the built-in memory adapter keeps its store private).
 */

interface Entry {
  payload: Record<string, unknown>;
  expiresAt: number;
}

/** The shared store behind every model's adapter instance. */
export class MemoryStore {
  readonly #entries = new Map<string, Entry>();

  get(key: string): Record<string, unknown> | undefined {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= Date.now()) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry.payload;
  }

  set(key: string, payload: Record<string, unknown>, expiresIn?: number): void {
    const expiresAt =
      typeof expiresIn === 'number' ? Date.now() + expiresIn * 1000 : Number.POSITIVE_INFINITY;
    this.#entries.set(key, { payload, expiresAt });
  }

  delete(key: string): void {
    this.#entries.delete(key);
  }

  /** Deletes every stored entry matching the predicate; returns how many were removed. */
  deleteWhere(predicate: (model: string, payload: Record<string, unknown>) => boolean): number {
    let removed = 0;
    for (const [key, entry] of this.#entries) {
      const model = key.slice(0, key.indexOf(':'));
      if (predicate(model, entry.payload)) {
        this.#entries.delete(key);
        removed += 1;
      }
    }
    return removed;
  }

  /** An oidc-provider `adapter` factory bound to this store. */
  adapterFactory(): (model: string) => ModelAdapter {
    return (model: string) => new ModelAdapter(model, this);
  }
}

/** The adapter interface oidc-provider expects, for one model (AccessToken, Grant, Session, ...). */
class ModelAdapter {
  readonly #model: string;
  readonly #store: MemoryStore;

  constructor(model: string, store: MemoryStore) {
    this.#model = model;
    this.#store = store;
  }

  #key(id: string): string {
    return `${this.#model}:${id}`;
  }

  async upsert(id: string, payload: Record<string, unknown>, expiresIn?: number): Promise<void> {
    this.#store.set(this.#key(id), payload, expiresIn);
    if (this.#model === 'Session' && typeof payload.uid === 'string') {
      this.#store.set(`SessionUid:${payload.uid}`, { id }, expiresIn);
    }
    if (typeof payload.userCode === 'string') {
      this.#store.set(`UserCode:${payload.userCode}`, { id }, expiresIn);
    }
  }

  async find(id: string): Promise<Record<string, unknown> | undefined> {
    return this.#store.get(this.#key(id));
  }

  async findByUid(uid: string): Promise<Record<string, unknown> | undefined> {
    const ref = this.#store.get(`SessionUid:${uid}`);
    return ref ? this.find(String(ref.id)) : undefined;
  }

  async findByUserCode(userCode: string): Promise<Record<string, unknown> | undefined> {
    const ref = this.#store.get(`UserCode:${userCode}`);
    return ref ? this.find(String(ref.id)) : undefined;
  }

  async consume(id: string): Promise<void> {
    const payload = this.#store.get(this.#key(id));
    if (payload) payload.consumed = Math.floor(Date.now() / 1000);
  }

  async destroy(id: string): Promise<void> {
    this.#store.delete(this.#key(id));
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    this.#store.deleteWhere((_model, payload) => payload.grantId === grantId);
  }
}
