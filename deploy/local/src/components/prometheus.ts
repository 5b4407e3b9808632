import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Component, componentPaths } from '../component.ts';
import { runningPid, spawnDetached, stopByPidFile } from '../processes.ts';
import { assertPortFree, httpOk, waitUntil } from '../readiness.ts';
import { scrapeTargetsDir } from '../scrape-targets.ts';
import type { StackConfig } from '../stack-config.ts';
import { prometheusBinaries } from './prometheus-binaries.ts';

/** The repository's alert rules: the local Prometheus evaluates the same rules production does. */
export function alertRuleFiles(config: StackConfig): string {
  return join(config.root, 'deploy', 'prometheus', 'rules', '*.yml');
}

/**
 * Scrapes itself and every target registered under the stack folder
 * (registerScrapeTarget), and evaluates the repository's alert rules. Quoted
 * with JSON.stringify: a JSON string is a YAML double-quoted scalar.
 */
function prometheusConfig(config: StackConfig): string {
  const interval = `${config.prometheus.scrapeIntervalSeconds}s`;
  return `${[
    'global:',
    `  scrape_interval: ${interval}`,
    `  evaluation_interval: ${interval}`,
    'rule_files:',
    `  - ${JSON.stringify(alertRuleFiles(config))}`,
    'scrape_configs:',
    '  - job_name: prometheus',
    '    static_configs:',
    `      - targets: [${JSON.stringify(`127.0.0.1:${config.prometheus.port}`)}]`,
    '  - job_name: planner',
    '    file_sd_configs:',
    `      - files: [${JSON.stringify(join(scrapeTargetsDir(config), '*.json'))}]`,
  ].join('\n')}\n`;
}

/** An optional Prometheus (`stack up prometheus`): see docs/decisions/0016-prometheus-from-debian.md. */
export function prometheusComponent(config: StackConfig): Component {
  const paths = componentPaths(config, 'prometheus');
  const ready = `${config.prometheus.url.replace(/\/$/, '')}/-/ready`;

  return {
    name: 'prometheus',

    async up() {
      if (!config.prometheus.external && runningPid(paths.pidFile) === undefined) {
        await assertPortFree(config.prometheus.port, 'Prometheus', 'PL_PROMETHEUS_PORT');
        const { prometheus } = await prometheusBinaries(config);
        mkdirSync(scrapeTargetsDir(config), { recursive: true });
        const configFile = join(paths.home, 'prometheus.yml');
        writeFileSync(configFile, prometheusConfig(config));
        spawnDetached({
          command: prometheus,
          args: [
            `--config.file=${configFile}`,
            `--storage.tsdb.path=${join(paths.home, 'data')}`,
            `--web.listen-address=127.0.0.1:${config.prometheus.port}`,
            '--storage.tsdb.retention.time=7d',
            // POST /-/reload picks up edited alert rules without a restart.
            '--web.enable-lifecycle',
          ],
          cwd: paths.home,
          logFile: paths.logFile,
          pidFile: paths.pidFile,
        });
      }
      await waitUntil(`Prometheus at ${config.prometheus.url}`, () => httpOk(ready), {
        timeoutMs: config.prometheus.external ? 10_000 : 60_000,
        logFile: config.prometheus.external ? 'PROMETHEUS_URL' : paths.logFile,
        ...(config.prometheus.external ? {} : { stillRunning: () => runningPid(paths.pidFile) !== undefined }),
      });
    },

    down: () => (config.prometheus.external ? Promise.resolve(false) : stopByPidFile(paths.pidFile, { group: false })),

    async status() {
      const pid = config.prometheus.external ? undefined : runningPid(paths.pidFile);
      return {
        name: 'prometheus',
        mode: config.prometheus.external ? 'external' : 'local',
        endpoint: config.prometheus.url,
        ...(pid === undefined ? {} : { pid }),
        ready: await httpOk(ready),
      };
    },
  };
}
