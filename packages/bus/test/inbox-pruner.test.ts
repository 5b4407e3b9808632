import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { useStack } from '../../../tests/support/stack.ts';
import { pruneInbox } from '../src/inbox-pruner.ts';
import { busFixture } from './fixtures/bus-fixture.ts';

useStack('kafka', 'postgres');
let f: Awaited<ReturnType<typeof busFixture>>;
before(async () => {
  f = await busFixture('pruner');
});
after(() => f.close());

/** Inbox rows of a fresh group, recorded at `at`; far in the past, so no other test's rows are that old. */
async function record(group: string, at: string, count: number) {
  await f.db
    .insertInto('exp.processed_events')
    .values(
      Array.from({ length: count }, (_, i) => ({
        consumer_group: group,
        event_id: randomUUID(),
        topic: 'dataset.requested',
        partition: 0,
        offset: i,
        processed_at: new Date(at),
      })),
    )
    .execute();
}

async function left(group: string) {
  const rows = await f.db
    .selectFrom('exp.processed_events')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('consumer_group', '=', group)
    .execute();
  return Number(rows[0]?.n);
}

test('rows recorded before the cut-off go, in batches, whatever their group; younger rows stay', async () => {
  await pruneInbox(f.db, new Date('2000-07-02T00:00:00Z')); // what an interrupted earlier run left
  const [a, b] = [`prune-a-${randomUUID()}`, `prune-b-${randomUUID()}`];
  await record(a, '2000-01-01T00:00:00Z', 25);
  await record(b, '2000-06-30T23:59:59Z', 3);
  await record(a, '2000-07-01T00:00:01Z', 4);

  const deleted = await pruneInbox(f.db, new Date('2000-07-01T00:00:00Z'), 10);

  assert.equal(deleted, 28, '25 + 3 old rows, over three batches of at most 10');
  assert.equal(await left(a), 4, 'the rows after the cut-off stay');
  assert.equal(await left(b), 0);
  assert.equal(await pruneInbox(f.db, new Date('2000-07-01T00:00:00Z'), 10), 0, 'a second pass finds nothing');
  await pruneInbox(f.db, new Date('2000-07-02T00:00:00Z'));
});
