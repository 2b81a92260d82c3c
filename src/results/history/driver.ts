// What the history needs of a SQL database, the same for SQLite and PostgreSQL: queries with `?`
// placeholders, write transactions, and multi-row inserts (one statement per few hundred rows: a run's
// thousands of samples in a handful of round trips to a server).
export type Param = string | number | null | undefined;
export type Row = Record<string, unknown>;

export interface Conn {
  all(sql: string, params?: Param[]): Promise<Row[]>;
  /** The number of rows changed. */
  run(sql: string, params?: Param[]): Promise<number>;
  /** Several statements without parameters (DDL). */
  exec(sql: string): Promise<void>;
}

export interface Driver extends Conn {
  readonly dialect: 'sqlite' | 'postgres';
  /** Where the history is, safe to print (a URL without its password). */
  readonly location: string;
  /**
   * One write transaction, committed when `fn` resolves, rolled back when it throws. SQLite: BEGIN
   * IMMEDIATE (the write lock up front, waiting out other writers); PostgreSQL: BEGIN on a client of its own.
   */
  write<T>(fn: (c: Conn) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

const ROWS_PER_INSERT = 500;

/** Insert rows in chunks; with `returning`, the rows the statements return. */
export async function insertMany(c: Conn, table: string, columns: string[], rows: Param[][], suffix = ''): Promise<Row[]> {
  const out: Row[] = [];
  const tuple = `(${columns.map(() => '?').join(', ')})`;
  for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) {
    const chunk = rows.slice(i, i + ROWS_PER_INSERT);
    const sql = `INSERT INTO ${table} (${columns.join(', ')}) VALUES ${chunk.map(() => tuple).join(', ')} ${suffix}`;
    if (suffix.includes('RETURNING')) out.push(...(await c.all(sql, chunk.flat())));
    else await c.run(sql, chunk.flat());
  }
  return out;
}
