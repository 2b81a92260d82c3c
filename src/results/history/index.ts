// The history database: runs, their labels, points, samples, verdicts and baselines, in an embedded
// SQLite file or a shared PostgreSQL (docs/history.md).
export { History, defaultHistoryDb, historyLocation, type RunQuery, type AddOptions, type StoredBaseline, type TrendRow } from './store.js';
export { isPostgresUrl, redactUrl } from './postgres.js';
export { SCHEMA_VERSION } from './migrations.js';
export { importHistory, type ImportResult } from './import.js';
export * from './types.js';
