/**
 * The README's test command (`./lifecycle test`): type-check, lint, bring up
 * the stack the suites need (reusing one that already answers), run every
 * suite in one node:test run, and stop only what this command started.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { loadStackConfig, loraPython, StackError, stackDown, stackStatus, stackUp } from '@planner/local-stack';

const config = loadStackConfig();
const bin = (name: string) => join(config.root, 'node_modules', '.bin', name);
const SUITES = [
  'packages/*/test/**/*.test.ts',
  'services/*/test/**/*.test.ts',
  'upstream/*/test/**/*.test.ts',
  'deploy/local/test/**/*.test.ts',
  'deploy/validate/test/**/*.test.ts',
  'scripts/test/**/*.test.ts',
  'tests/**/*.test.ts',
];

function step(title: string, command: string, args: string[], env: NodeJS.ProcessEnv = process.env): number {
  console.log(`\n== ${title}`);
  const result = spawnSync(command, args, { cwd: config.root, stdio: 'inherit', env });
  return result.status ?? 1;
}

async function main(): Promise<number> {
  if (step('type-check', bin('tsc'), ['-p', 'tsconfig.json', '--noEmit']) !== 0) return 1;
  if (step('lint', bin('biome'), ['check', '--error-on-warnings', '.']) !== 0) return 1;

  // Installed here rather than inside its test so a fresh machine's download (minutes) runs before any test's clock.
  console.log('\n== LoRA trainer environment');
  const installing = performance.now();
  const lora = loraPython(config, (venv) =>
    console.log(`installing torch, transformers, peft and mlflow-skinny into ${venv} (once per machine)`),
  );
  console.log(`${lora} (${((performance.now() - installing) / 1000).toFixed(1)} s)`);

  console.log('\n== local stack');
  const alreadyUp = (await stackStatus(config)).every((s) => s.ready);
  const started = performance.now();
  if (!alreadyUp) {
    await stackUp(config, undefined, (s, seconds) => console.log(`${s.name.padEnd(8)} ready  ${s.endpoint}  (${seconds.toFixed(1)} s)`));
  }
  console.log(alreadyUp ? 'reusing the running stack' : `stack ready in ${((performance.now() - started) / 1000).toFixed(1)} s`);

  try {
    // Two files at a time: most of a suite's time is waiting on servers (a broker rebalance, a trainer, a 60 s outage in
    // the faults suite's own stack), so two overlap well even on two cores; every suite has its own namespace,
    // database and MLflow names, so they never see each other's data.
    // Services under test log from `error` up: the warnings many tests provoke on purpose (dead letters, outages) would
    // bury the runner's report. LOG_LEVEL=warn ./lifecycle test shows them.
    const env = { ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'error' };
    return step('tests', process.execPath, ['--test', '--test-concurrency=2', '--test-reporter=spec', ...SUITES], env);
  } finally {
    if (!alreadyUp && process.env.PL_KEEP_STACK !== '1') {
      const stopped = await stackDown(config);
      console.log(`\nstopped the stack this run started (${stopped.join(', ')}); PL_KEEP_STACK=1 keeps it`);
    }
  }
}

try {
  process.exit(await main());
} catch (error) {
  if (!(error instanceof StackError)) throw error;
  console.error(`test: ${error.message}`);
  process.exit(1);
}
