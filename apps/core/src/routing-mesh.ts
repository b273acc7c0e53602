import { access } from 'node:fs/promises';
import { NoticeSeverity, type ConfigNotice } from '@switchyard/proto';
import type { Logger } from '@switchyard/reconciler';
import type { ExtensionConfig } from './config.js';

/** `ConfigNotice.code` of an extension publishing through a routing mesh the host's kernel cannot provide. */
export const INGRESS_WITHOUT_IPVS = 'ingress-without-ipvs';

/** The file the kernel's IPVS (`ip_vs` module) shows while it is loaded, in every network namespace. */
export const IPVS_PROC_FILE = '/proc/net/ip_vs';

/** Whether the host's kernel has IPVS loaded (Swarm's routing mesh balances published ports with it). Never rejects. */
export type IpvsProbe = () => Promise<boolean>;

/**
 * The real probe: whether `file` (default `/proc/net/ip_vs`) exists. core runs in a container, which
 * shares the host's kernel, so this answers for the node core runs on.
 */
export function procIpvsProbe(file = IPVS_PROC_FILE): IpvsProbe {
  return () =>
    access(file).then(
      () => true,
      () => false,
    );
}

/** Options of {@link RoutingMeshCheck}. */
export interface RoutingMeshCheckOptions {
  probe: IpvsProbe;
  logger: Logger;
  /**
   * How long an ingress-mode proxy service must have been seen before a missing IPVS counts (default
   * 30 s): dockerd loads `ip_vs` only when it programs the routing mesh for the first published port.
   */
  graceMs?: number;
  now?: () => number;
}

/**
 * Checks that Swarm's routing mesh can work for extensions with `PublishMode = "ingress"`. On a kernel
 * without IPVS, a port published through the mesh refuses connections, though the service looks
 * healthy. The deploy loop calls {@link RoutingMeshCheck.observe} each round with the ingress-mode
 * extensions whose proxy service exists; the probe runs until IPVS is seen once. While it is missing,
 * each such extension is logged once (a warning) and has a warning notice for `switchyard status`.
 */
export class RoutingMeshCheck {
  private readonly graceMs: number;
  private readonly now: () => number;
  private ipvsSeen = false;
  /** Extension name → when its ingress proxy service was first seen. */
  private readonly firstSeen = new Map<string, number>();
  /** Extension name → its notice (the warning was logged). */
  private readonly warned = new Map<string, ConfigNotice>();

  constructor(private readonly options: RoutingMeshCheckOptions) {
    this.graceMs = options.graceMs ?? 30_000;
    this.now = options.now ?? Date.now;
  }

  /** One round: `ingress` are the extensions with `PublishMode = "ingress"` whose proxy service exists. Never throws. */
  async observe(ingress: readonly ExtensionConfig[]): Promise<void> {
    if (this.ipvsSeen || ingress.length === 0) return;
    const now = this.now();
    for (const ext of ingress) if (!this.firstSeen.has(ext.Name)) this.firstSeen.set(ext.Name, now);
    let present: boolean;
    try {
      present = await this.options.probe();
    } catch {
      present = false;
    }
    if (present) {
      this.ipvsSeen = true;
      if (this.warned.size > 0) this.options.logger.info("IPVS is loaded now: Swarm's routing mesh can serve ingress-published ports on this host", { extensions: [...this.warned.keys()] });
      this.warned.clear();
      return;
    }
    for (const ext of ingress) {
      if (this.warned.has(ext.Name) || now - (this.firstSeen.get(ext.Name) ?? now) < this.graceMs) continue;
      const notice = ingressNotice(ext);
      this.warned.set(ext.Name, notice);
      this.options.logger.warn(notice.message, { extension: ext.Name, proxyService: ext.ProxyServiceName, publishMode: ext.PublishMode, ports: [ext.PublishedPort, ext.PublishedSSLPort], missing: IPVS_PROC_FILE });
    }
  }

  /** The current warnings, one per affected extension, sorted by key (empty once IPVS was seen). */
  notices(): ConfigNotice[] {
    return [...this.warned.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }
}

/** The warning for one ingress-mode extension on a host without IPVS. */
function ingressNotice(ext: ExtensionConfig): ConfigNotice {
  return {
    key: `Extensions.${ext.Name}.PublishMode`,
    code: INGRESS_WITHOUT_IPVS,
    severity: NoticeSeverity.NOTICE_SEVERITY_WARNING,
    message:
      `extension ${ext.Name} publishes ports ${ext.PublishedPort} and ${ext.PublishedSSLPort} through Swarm's routing mesh (PublishMode = "ingress"), ` +
      `but this host's kernel has no IPVS (${IPVS_PROC_FILE} is missing): connections to those ports will likely be refused. ` +
      `Set PublishMode = "host" in [Extensions.${ext.Name}].`,
  };
}
