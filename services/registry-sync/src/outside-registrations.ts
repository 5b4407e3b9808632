import { randomUUID } from 'node:crypto';
import type { BusTables, EventBus } from '@planner/bus';
import type { MlflowClient } from '@planner/mlflow-client';
import { PollingLoop } from '@planner/service-kit';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { contractViolations, nonEmptyArtifactFolders } from './logging-contract.ts';
import { announce, datasetVersionOf, lockModel } from './model-registration.ts';
import type { RegistryTables } from './tables.ts';

export interface OutsideRegistrationsOptions {
  db: Kysely<RegistryTables & BusTables>;
  mlflow: MlflowClient;
  bus: EventBus;
  modelName: string;
  pollMs: number;
  logger: Logger;
}

/**
 * Notices versions someone registered in MLflow directly (a notebook, the UI)
 * by polling the registry, and treats them like the pipeline's own: checked
 * against the logging contract, then model.registered (flagged as outside the
 * pipeline) or model.rejected. Holding the model's registry lock while it
 * looks means a version the pipeline is registering right now is never
 * mistaken for an outside one.
 */
export class OutsideRegistrations {
  readonly #options: OutsideRegistrationsOptions;
  readonly #loop: PollingLoop;

  constructor(options: OutsideRegistrationsOptions) {
    this.#options = options;
    this.#loop = new PollingLoop({
      step: async () => {
        await this.pollOnce();
        return false;
      },
      idleMs: options.pollMs,
      onError: (error) => options.logger.error({ err: error }, 'registry poll failed; retrying'),
    });
  }

  start(): void {
    this.#loop.start();
  }

  stop(): Promise<void> {
    return this.#loop.stop();
  }

  /** One look at the registry; returns the versions it announced. */
  async pollOnce(): Promise<string[]> {
    const { db, mlflow, bus, modelName, logger } = this.#options;
    return db.transaction().execute(async (trx) => {
      await lockModel(trx, modelName);
      const versions = await mlflow.searchModelVersions(`name='${modelName}'`);
      const known = new Set(
        (await trx.selectFrom('exp.registry_versions').select('model_version').where('model_name', '=', modelName).execute()).map(
          (r) => r.model_version,
        ),
      );
      const announced: string[] = [];
      for (const version of versions.filter((v) => !known.has(v.version) && v.status === 'READY')) {
        const correlationId = randomUUID();
        if (!version.runId) {
          await trx
            .insertInto('exp.registry_versions')
            .values({
              model_name: modelName,
              model_version: version.version,
              run_id: null,
              dataset_version: null,
              origin: 'outside',
              outcome: 'rejected',
              missing: ['run_id'],
            })
            .execute();
          logger.warn({ model: modelName, version: version.version }, 'outside registration has no run; not announced');
          continue;
        }
        const run = await mlflow.getRun(version.runId);
        // No training.completed names its dataset: the run's own dataset_version tag (or param) is all there is.
        const datasetVersion = datasetVersionOf(run);
        const missing = contractViolations(run, await nonEmptyArtifactFolders(mlflow, version.runId));
        // The contract requires a dataset_version, so a run without one is among those missing something.
        if (missing.length > 0 || datasetVersion === null) {
          await trx
            .insertInto('exp.registry_versions')
            .values({
              model_name: modelName,
              model_version: version.version,
              run_id: version.runId,
              dataset_version: datasetVersion,
              origin: 'outside',
              outcome: 'rejected',
              missing,
            })
            .execute();
          const event = bus.event(
            'model.rejected',
            { run_id: version.runId, model_name: modelName, dataset_version: datasetVersion, missing },
            correlationId,
          );
          await bus.enqueue(trx, 'model.rejected', event, version.runId);
        } else {
          await announce(bus, trx, { modelName, version: version.version, run, datasetVersion, origin: 'outside', correlationId });
        }
        announced.push(version.version);
        logger.info({ model: modelName, version: version.version, missing }, 'version registered outside the pipeline');
      }
      return announced;
    });
  }
}
