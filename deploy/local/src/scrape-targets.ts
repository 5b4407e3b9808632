import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StackConfig } from './stack-config.ts';

/** A service whose /metrics the local Prometheus scrapes. */
export interface ScrapeTarget {
  /** The stage: the service's name (dashboards and alerts group by the `service` label); replay workers are `replay-evaluator-worker`. */
  service: string;
  /** Where the service listens, as its start-up reports it: http://host:port. */
  address: string;
  /** The lifecycle environment (its Kafka namespace), a label that tells environments sharing the stack apart; '' for none. */
  environment: string;
}

/** The folder of file_sd target files the local Prometheus watches. */
export function scrapeTargetsDir(config: StackConfig): string {
  return join(config.stackDir, 'prometheus', 'targets');
}

/**
 * Tells the local Prometheus to scrape a service, whether it is running now or
 * starts later: one file_sd file per target, so processes register and leave
 * without coordinating. Returns the function that removes the target again
 * (call it when the service stops). A target is its address: registering
 * the same address again replaces its labels rather than scraping it twice.
 */
export function registerScrapeTarget(config: StackConfig, target: ScrapeTarget): () => void {
  const { host } = new URL(target.address);
  const environment = target.environment.replace(/\.$/, '');
  const dir = scrapeTargetsDir(config);
  const file = join(dir, `${host.replace(/[^A-Za-z0-9.-]/g, '_')}.json`);
  mkdirSync(dir, { recursive: true });
  const labels = { service: target.service, ...(environment ? { environment } : {}) };
  // Written aside and renamed: Prometheus never reads half a file (its glob skips *.tmp).
  writeFileSync(`${file}.tmp`, `${JSON.stringify([{ targets: [host], labels }], null, 2)}\n`);
  renameSync(`${file}.tmp`, file);
  return () => rmSync(file, { force: true });
}
