import { randomUUID } from 'node:crypto';
import { Delivery, type ProxyKind, type ProxyModel, type RegisteredExtension } from '@switchyard/proto';
import { followLatest } from './follow.js';

/**
 * ModelHub holds the current model of each service cluster, numbers versions, and fans new
 * versions out to watchers. Versions are global and monotonic: a version is only ever used once.
 * It also remembers registered extensions and the last delivery to each proxy (for status).
 */
export class ModelHub {
  /**
   * How long a registration lives without a model watch holding it (each call of the extension
   * renews it). A watch holds it for as long as the stream is open; when the last one ends, the
   * registration ends.
   */
  static readonly LEASE_MS = 60_000;
  private version = 0;
  private readonly models = new Map<string, ProxyModel>();
  private readonly watchers = new Map<string, Set<(m: ProxyModel) => void>>();
  private readonly extensions = new Map<string, RegisteredExtension>();
  private readonly deliveries = new Map<string, Delivery>();

  /**
   * Publishes a freshly built model for its cluster. It gets a new version only when its hash
   * differs from the current one; returns the stored model and whether it changed.
   */
  publish(model: ProxyModel): { model: ProxyModel; changed: boolean } {
    const current = this.models.get(model.serviceCluster);
    if (current && current.hash === model.hash) return { model: current, changed: false };
    this.version += 1;
    const stored = { ...model, version: this.version };
    this.models.set(model.serviceCluster, stored);
    for (const listener of this.watchers.get(model.serviceCluster) ?? []) listener(stored);
    return { model: stored, changed: true };
  }

  /** The current model of a cluster, if one was published. */
  current(cluster: string): ProxyModel | undefined {
    return this.models.get(cluster);
  }

  /** All current models, sorted by cluster. */
  all(): ProxyModel[] {
    return [...this.models.values()].sort((a, b) => (a.serviceCluster < b.serviceCluster ? -1 : a.serviceCluster > b.serviceCluster ? 1 : 0));
  }

  /**
   * Follows a cluster's models: yields the current one (if any) at once, then every new version,
   * always the newest (intermediate versions are skipped when the consumer is slow).
   */
  watch(cluster: string, signal: AbortSignal): AsyncGenerator<ProxyModel> {
    return followLatest(
      this.models.get(cluster),
      (listener) => {
        let set = this.watchers.get(cluster);
        if (!set) this.watchers.set(cluster, (set = new Set()));
        set.add(listener);
        return () => set.delete(listener);
      },
      signal,
    );
  }

  constructor(private readonly now: () => number = Date.now) {}

  /** Registers an extension and returns its record (with a fresh id and a lease). */
  register(name: string, serviceCluster: string, proxyKind: ProxyKind): RegisteredExtension {
    const ext: RegisteredExtension = { extensionId: randomUUID(), name, serviceCluster, proxyKind, leaseExpiresAtUnixMs: this.now() + ModelHub.LEASE_MS, watches: 0 };
    this.extensions.set(ext.extensionId, ext);
    return ext;
  }

  /**
   * The live registration with this id, if any; `renew` extends its lease (a call from the
   * extension itself).
   */
  extension(id: string, renew = false): RegisteredExtension | undefined {
    this.expire();
    const ext = this.extensions.get(id);
    if (ext && renew && ext.watches === 0) ext.leaseExpiresAtUnixMs = this.now() + ModelHub.LEASE_MS;
    return ext;
  }

  /**
   * Holds a registration for as long as a model watch is open; the returned function releases
   * it, and the registration ends when its last watch does. Undefined for an unknown id.
   */
  hold(id: string): (() => void) | undefined {
    const ext = this.extension(id);
    if (!ext) return undefined;
    ext.watches += 1;
    ext.leaseExpiresAtUnixMs = 0;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      ext.watches -= 1;
      if (ext.watches === 0) this.extensions.delete(ext.extensionId);
    };
  }

  /** Live registrations, sorted by cluster then name. */
  registeredExtensions(): RegisteredExtension[] {
    this.expire();
    return [...this.extensions.values()].map((e) => ({ ...e })).sort((a, b) => `${a.serviceCluster}\0${a.name}`.localeCompare(`${b.serviceCluster}\0${b.name}`));
  }

  private expire(): void {
    const now = this.now();
    for (const [id, ext] of this.extensions) if (ext.watches === 0 && ext.leaseExpiresAtUnixMs <= now) this.extensions.delete(id);
  }

  /** Records a delivery (replacing the previous one for the same proxy service). */
  recordDelivery(d: Delivery): void {
    this.deliveries.set(d.proxyService, d);
  }

  /** Records a failed delivery on the proxy's last good one (which it keeps serving). */
  recordDeliveryError(serviceCluster: string, proxyService: string, modelVersion: number, error: string, atUnixMs: number): void {
    const last = this.deliveries.get(proxyService) ?? Delivery.fromPartial({ serviceCluster, proxyService });
    this.deliveries.set(proxyService, { ...last, lastError: error, lastErrorModelVersion: modelVersion, lastErrorAtUnixMs: atUnixMs });
  }

  /** Last delivery per proxy service, sorted by proxy service name. */
  lastDeliveries(): Delivery[] {
    return [...this.deliveries.values()].sort((a, b) => (a.proxyService < b.proxyService ? -1 : 1));
  }
}
