import type Database from 'better-sqlite3';
import { recordTable, type RecordTable, type Row } from './record-table';

/** An outbound profile as persisted; spec and latency are opaque JSON to the store. */
export interface StoredProfile {
  id: string;
  name: string;
  spec: unknown;
  /** The subscription URL it was imported from, or null. */
  source: string | null;
  /** The last latency test, or null. */
  latency: unknown;
  createdAt: number;
  updatedAt: number;
}

export type ProfileTable = RecordTable<StoredProfile>;

export function profileTable(db: Database.Database): ProfileTable {
  return recordTable<StoredProfile>(db, {
    table: 'profiles', noun: 'profile',
    columns: ['id', 'name', 'spec', 'source', 'latency', 'created_at', 'updated_at'],
    toRow: (p) => ({
      id: p.id, name: p.name, spec: JSON.stringify(p.spec ?? null), source: p.source,
      latency: p.latency === null || p.latency === undefined ? null : JSON.stringify(p.latency),
      created_at: p.createdAt, updated_at: p.updatedAt,
    }),
    fromRow: (r: Row) => ({
      id: r.id as string, name: r.name as string, spec: JSON.parse(r.spec as string),
      source: (r.source as string | null) ?? null,
      latency: r.latency === null ? null : JSON.parse(r.latency as string),
      createdAt: r.created_at as number, updatedAt: r.updated_at as number,
    }),
  });
}
