import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CreateBucketCommand, HeadBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { type Component, componentPaths } from '../component.ts';
import { ensureJars } from '../jar-cache.ts';
import { requireJava } from '../prerequisites.ts';
import { runningPid, spawnDetached, stopByPidFile } from '../processes.ts';
import { assertPortFree, httpOk, waitUntil } from '../readiness.ts';
import type { StackConfig } from '../stack-config.ts';

export function s3Client(config: StackConfig): S3Client {
  return new S3Client({
    endpoint: config.s3.endpoint,
    region: config.s3.region,
    forcePathStyle: true,
    credentials: { accessKeyId: config.s3.accessKeyId, secretAccessKey: config.s3.secretAccessKey },
    // The SDK's default CRC checksums (aws-chunked uploads) are AWS-only; S3-compatible servers reject them.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

async function ensureBucket(config: StackConfig): Promise<void> {
  const client = s3Client(config);
  try {
    await client.send(new HeadBucketCommand({ Bucket: config.s3.bucket }));
  } catch {
    await client.send(new CreateBucketCommand({ Bucket: config.s3.bucket }));
  } finally {
    client.destroy();
  }
}

/** S3Proxy over a local folder: a real S3 protocol server (SigV4, multipart, listing). See docs/decisions/0003-s3-server.md. */
export function s3Component(config: StackConfig): Component {
  const paths = componentPaths(config, 's3');

  return {
    name: 's3',

    async up() {
      if (!config.s3.external && runningPid(paths.pidFile) === undefined) {
        const java = requireJava(17, 'The S3 server (S3Proxy)');
        await assertPortFree(config.s3.port, 'The S3 server', 'PL_S3_PORT');
        const [jar] = await ensureJars(join(import.meta.dirname, '..', '..', 'jars', 's3proxy.lock'), join(config.cacheDir, 'maven'));
        const dataDir = join(paths.home, 'data');
        mkdirSync(dataDir, { recursive: true });
        const properties = join(paths.home, 's3proxy.properties');
        writeFileSync(
          properties,
          [
            `s3proxy.endpoint=http://127.0.0.1:${config.s3.port}`,
            's3proxy.authorization=aws-v2-or-v4',
            `s3proxy.identity=${config.s3.accessKeyId}`,
            `s3proxy.credential=${config.s3.secretAccessKey}`,
            'jclouds.provider=filesystem-nio2',
            `jclouds.filesystem.basedir=${dataDir}`,
            '',
          ].join('\n'),
        );
        spawnDetached({
          command: java,
          args: ['-Xmx512m', '-jar', jar as string, '--properties', properties],
          cwd: paths.home,
          logFile: paths.logFile,
          pidFile: paths.pidFile,
        });
      }
      // Any HTTP answer below 500 (an unauthenticated GET gets 403) means it serves requests.
      await waitUntil(`S3 at ${config.s3.endpoint}`, () => httpOk(config.s3.endpoint), {
        timeoutMs: config.s3.external ? 10_000 : 60_000,
        logFile: config.s3.external ? 'S3_ENDPOINT' : paths.logFile,
        ...(config.s3.external ? {} : { stillRunning: () => runningPid(paths.pidFile) !== undefined }),
      });
      await ensureBucket(config);
    },

    down: () => (config.s3.external ? Promise.resolve(false) : stopByPidFile(paths.pidFile)),

    async status() {
      const pid = config.s3.external ? undefined : runningPid(paths.pidFile);
      return {
        name: 's3',
        mode: config.s3.external ? 'external' : 'local',
        endpoint: `${config.s3.endpoint} (bucket ${config.s3.bucket})`,
        ...(pid === undefined ? {} : { pid }),
        ready: await httpOk(config.s3.endpoint),
      };
    },
  };
}
