import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CODEC_VERSION, type Recipe, recipeTokens } from '@planner/domain';
import type { Kysely } from 'kysely';
import { acceptedPlans } from './accepted-plans-query.ts';
import { datasetDigest } from './dataset-digest.ts';
import { DatasetError } from './dataset-error.ts';
import { DatasetProfile } from './dataset-profile.ts';
import { datasetSchema, datasetSummary } from './dataset-summary.ts';
import { ParquetTableWriter } from './parquet-table-writer.ts';
import type { DatasetBuilderTables } from './tables.ts';
import { RECIPE_COLUMNS, type RecipeRow, TRAINING_COLUMNS, type TrainingRow } from './training-columns.ts';
import { trainingRow } from './training-row.ts';

export interface DatasetPins {
  datasetVersion: string;
  windowStart: Date;
  windowEnd: Date;
  splitSeed: number;
}

export interface DatasetFile {
  name: 'training.parquet' | 'recipes.parquet' | 'schema.json' | 'dataset_summary.md';
  path: string;
  contentType: string;
}

export interface DatasetFiles {
  files: DatasetFile[];
  profile: DatasetProfile;
  digest: string;
  fieldCount: number;
  recipeCount: number;
}

async function loadCatalogue(db: Kysely<DatasetBuilderTables>): Promise<Recipe[]> {
  return (await db.selectFrom('product.recipes').selectAll().orderBy('recipe_id').execute()) as Recipe[];
}

/**
 * Materialises a dataset version in `scratch`: rows streamed from PostgreSQL
 * into Parquet one row group at a time, the catalogue snapshot, schema and
 * summary. Same pins and same tables → same bytes.
 */
export async function writeDatasetFiles(
  databaseUrl: string,
  db: Kysely<DatasetBuilderTables>,
  pins: DatasetPins,
  scratch: string,
): Promise<DatasetFiles> {
  const catalogue = await loadCatalogue(db);
  const metadata = { dataset_version: pins.datasetVersion, codec_version: CODEC_VERSION };
  const recipesPath = join(scratch, 'recipes.parquet');
  const recipes = new ParquetTableWriter<RecipeRow>(recipesPath, RECIPE_COLUMNS, metadata);
  for (const recipe of catalogue) {
    await recipes.append({
      recipe_id: recipe.recipe_id,
      recipe_json: JSON.stringify(recipe),
      tokens_json: JSON.stringify(recipeTokens(recipe)),
    });
  }
  await recipes.close();

  const trainingPath = join(scratch, 'training.parquet');
  const training = new ParquetTableWriter<TrainingRow>(trainingPath, TRAINING_COLUMNS, metadata);
  const known = new Set(catalogue.map((r) => r.recipe_id));
  const profile = new DatasetProfile();
  for await (const record of acceptedPlans(databaseUrl, pins.windowStart, pins.windowEnd)) {
    const { row, editCount } = trainingRow(record, pins.splitSeed, known);
    await training.append(row);
    profile.add(row, editCount);
  }
  await training.close();
  if (profile.rows === 0) {
    throw new DatasetError(
      'DATASET_EMPTY',
      `no accepted plans in [${pins.windowStart.toISOString()}, ${pins.windowEnd.toISOString()}); nothing to train on`,
    );
  }

  const schemaPath = join(scratch, 'schema.json');
  await writeFile(schemaPath, `${JSON.stringify(datasetSchema(pins.datasetVersion, CODEC_VERSION), null, 2)}\n`);
  const files: DatasetFile[] = [
    { name: 'training.parquet', path: trainingPath, contentType: 'application/vnd.apache.parquet' },
    { name: 'recipes.parquet', path: recipesPath, contentType: 'application/vnd.apache.parquet' },
    { name: 'schema.json', path: schemaPath, contentType: 'application/json' },
  ];
  const digest = await datasetDigest(files);
  const summaryPath = join(scratch, 'dataset_summary.md');
  const summary = datasetSummary({ ...pins, codecVersion: CODEC_VERSION, digest, recipes: catalogue.length }, profile);
  await writeFile(summaryPath, summary);
  files.push({ name: 'dataset_summary.md', path: summaryPath, contentType: 'text/markdown; charset=utf-8' });
  return { files, profile, digest, fieldCount: TRAINING_COLUMNS.length, recipeCount: catalogue.length };
}
