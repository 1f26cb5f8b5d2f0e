// The store types are defined in db/ (db/types.ts, db/enums.ts); each
// engine's schema is held to them. At compile time (`npm run typecheck`, run
// by .ci/run) each table's row type must equal the store's; at run time the
// two schemas must agree column by column: names, nullability, enum values.
import { getTableColumns, is, Table } from 'drizzle-orm';
import { describe, expect, expectTypeOf, it } from 'vitest';
import * as pg from '../../db/postgres/schema.js';
import * as sqlite from '../../db/sqlite/schema.js';
import type { ActivityRow, Batch, Delivery, Enrolment, ImportReportRecord, ImportReportRow, PendingDetails, ProviderEventRow, UnsubscribeReasonCount, StaffAccount, SubscriberRow, Suppression } from '../../db/types.js';

describe('store row types', () => {
  it('are what each engine’s schema gives', () => {
    expectTypeOf<typeof sqlite.subscribers.$inferSelect>().toEqualTypeOf<SubscriberRow>();
    expectTypeOf<typeof pg.subscribers.$inferSelect>().toEqualTypeOf<SubscriberRow>();
    expectTypeOf<typeof sqlite.enrolments.$inferSelect>().toEqualTypeOf<Enrolment>();
    expectTypeOf<typeof pg.enrolments.$inferSelect>().toEqualTypeOf<Enrolment>();
    expectTypeOf<typeof sqlite.pendingDetails.$inferSelect>().toEqualTypeOf<PendingDetails>();
    expectTypeOf<typeof pg.pendingDetails.$inferSelect>().toEqualTypeOf<PendingDetails>();
    expectTypeOf<typeof sqlite.unsubscribeReasons.$inferSelect>().toEqualTypeOf<UnsubscribeReasonCount>();
    expectTypeOf<typeof pg.unsubscribeReasons.$inferSelect>().toEqualTypeOf<UnsubscribeReasonCount>();
    expectTypeOf<typeof sqlite.deliveries.$inferSelect>().toEqualTypeOf<Delivery>();
    expectTypeOf<typeof pg.deliveries.$inferSelect>().toEqualTypeOf<Delivery>();
    expectTypeOf<typeof sqlite.batches.$inferSelect>().toEqualTypeOf<Batch>();
    expectTypeOf<typeof pg.batches.$inferSelect>().toEqualTypeOf<Batch>();
    expectTypeOf<typeof sqlite.providerEvents.$inferSelect>().toEqualTypeOf<ProviderEventRow>();
    expectTypeOf<typeof pg.providerEvents.$inferSelect>().toEqualTypeOf<ProviderEventRow>();
    expectTypeOf<typeof sqlite.activity.$inferSelect>().toEqualTypeOf<ActivityRow>();
    expectTypeOf<typeof pg.activity.$inferSelect>().toEqualTypeOf<ActivityRow>();
    expectTypeOf<typeof sqlite.suppressions.$inferSelect>().toEqualTypeOf<Suppression>();
    expectTypeOf<typeof pg.suppressions.$inferSelect>().toEqualTypeOf<Suppression>();
    expectTypeOf<typeof sqlite.staffAccounts.$inferSelect>().toEqualTypeOf<StaffAccount>();
    expectTypeOf<typeof pg.staffAccounts.$inferSelect>().toEqualTypeOf<StaffAccount>();
    expectTypeOf<typeof sqlite.importReports.$inferSelect>().toEqualTypeOf<ImportReportRecord>();
    expectTypeOf<typeof pg.importReports.$inferSelect>().toEqualTypeOf<ImportReportRecord>();
    expectTypeOf<typeof sqlite.importReportRows.$inferSelect>().toEqualTypeOf<ImportReportRow>();
    expectTypeOf<typeof pg.importReportRows.$inferSelect>().toEqualTypeOf<ImportReportRow>();
  });

  const shape = (table: Table) =>
    Object.fromEntries(
      Object.entries(getTableColumns(table)).map(([key, c]) => [key, { name: c.name, notNull: c.notNull, enumValues: c.enumValues ?? null }]),
    );
  const tablesOf = (schema: Record<string, unknown>) => Object.entries(schema).filter((e): e is [string, Table] => is(e[1], Table));
  const tables = tablesOf(sqlite);

  it('match between SQLite and PostgreSQL, table by table', () => {
    const pgTables = new Map(tablesOf(pg));
    expect(tables.length).toBeGreaterThan(10);
    expect(tables.map(([name]) => name).sort()).toEqual([...pgTables.keys()].sort());
    for (const [name, table] of tables) expect(shape(pgTables.get(name)!), name).toEqual(shape(table));
  });
});
