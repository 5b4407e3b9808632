/**
 * `./lifecycle lineage <model name> <version>`: a model version's lineage, from
 * the event window to its promotion or rollback, as the promotion-gate tells it
 * (GET /v1/lineage/{policy_version_id}). See LINEAGE_USAGE.
 */
import { runLineageCli } from '../services/promotion-gate/src/lineage/lineage-cli.ts';

process.exit(
  await runLineageCli(process.argv.slice(2), process.env, {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
  }),
);
