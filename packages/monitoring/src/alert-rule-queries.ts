import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { REPOSITORY_ROOT } from './dashboard-files.ts';
import type { MonitoredQuery } from './monitored-query.ts';

/** The alert and recording rules Prometheus loads (deploy/prometheus/rules). */
export const RULES_DIR = join(REPOSITORY_ROOT, 'deploy', 'prometheus', 'rules');

interface RuleFile {
  groups: { name: string; rules: { alert?: string; record?: string; expr: string; annotations?: Record<string, string> }[] }[];
}

/** Every rule of every rule file, with its annotations. */
export function alertRules(dir: string = RULES_DIR) {
  return readdirSync(dir)
    .filter((file) => file.endsWith('.yml'))
    .flatMap((file) => (parse(readFileSync(join(dir, file), 'utf8')) as RuleFile).groups.flatMap((group) => group.rules));
}

/** Every rule's expression, named by its alert or record. */
export function alertRuleQueries(dir: string = RULES_DIR): MonitoredQuery[] {
  return alertRules(dir).map((rule) =>
    rule.alert === undefined
      ? { kind: 'record', source: `recording rule ${rule.record}`, expr: rule.expr }
      : { kind: 'alert', source: `alert ${rule.alert}`, expr: rule.expr },
  );
}
