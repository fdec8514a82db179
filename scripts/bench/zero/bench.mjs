// Rocicorp Zero's side of scripts/bench/zero.py: the API server zero-cache calls for queries and
// mutations, and Zero clients (SQLite store on disk) that time an initial sync, change latency and writes.
//
//   node bench.mjs api PORT UPSTREAM_DB
//   node bench.mjs initial CACHE_URL DIR ACCOUNT EXPECTED_ROWS
//   node bench.mjs latency CACHE_URL DIR ACCOUNT UPSTREAM_DB DOC_ID COUNT
//   node bench.mjs writes CACHE_URL DIR ACCOUNT COUNT
//
// Each client mode prints one JSON line with its figures.
import http from 'node:http';
import {mkdirSync} from 'node:fs';

import {randomUUID} from 'node:crypto';
import postgres from 'postgres';
import Database from '@rocicorp/zero-sqlite3';
import {
  Zero,
  createBuilder,
  createSchema,
  defineMutator,
  defineMutators,
  defineQueries,
  defineQuery,
  json,
  mustGetMutator,
  mustGetQuery,
  string,
  table,
} from '@rocicorp/zero';
import {handleMutateRequest, handleQueryRequest} from '@rocicorp/zero/server';
import {zeroPostgresJS} from '@rocicorp/zero/server/adapters/postgresjs';
import {SQLiteStore, dropStore} from '@rocicorp/zero/sqlite';

// One table holds every row of the account, as pouchdb-server holds one doc per row: the row's id, its
// entity, its account and the row's fields as Haulport's pull sent them.
const doc = table('doc')
  .columns({id: string(), type: string(), account_id: string(), data: json()})
  .primaryKey('id');
export const schema = createSchema({tables: [doc]});
const zql = createBuilder(schema);

const queries = defineQueries({
  docsOf: defineQuery(({args}) => zql.doc.where('account_id', args.account)),
});
const mutators = defineMutators({
  doc: {
    add: defineMutator(async ({tx, args}) => {
      await tx.mutate.doc.insert(args);
    }),
  },
});

// --- the API server -------------------------------------------------------------------------------------

function api(port, upstream) {
  const db = zeroPostgresJS(schema, postgres(upstream, {max: 4}));
  const server = http.createServer(async (req, res) => {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const request = new Request(`http://127.0.0.1:${port}${req.url}`, {
      method: req.method,
      headers: req.headers,
      body: req.method === 'POST' ? Buffer.concat(chunks) : undefined,
    });
    let result;
    try {
      if (req.url.startsWith('/query')) {
        result = await handleQueryRequest(
          (name, args) => mustGetQuery(queries, name).fn({args, ctx: undefined}),
          schema,
          request,
          'warn',
        );
      } else if (req.url.startsWith('/mutate')) {
        result = await handleMutateRequest(
          db,
          (transact) =>
            transact((tx, name, args) => mustGetMutator(mutators, name).fn({tx, args, ctx: undefined})),
          request,
          'warn',
        );
      } else {
        res.writeHead(404).end();
        return;
      }
    } catch (e) {
      res.writeHead(500, {'content-type': 'text/plain'}).end(String(e?.stack ?? e));
      return;
    }
    res.writeHead(200, {'content-type': 'application/json'}).end(JSON.stringify(result));
  });
  server.listen(port, '127.0.0.1', () => console.log(`api listening on ${port}`));
}

// --- Zero clients with a SQLite store on disk ---------------------------------------------------------------

class Statement {
  constructor(db, sql) {
    this.stmt = db.prepare(sql);
  }
  async exec(params) {
    this.stmt.run(...params);
  }
  async all(params) {
    return this.stmt.raw(true).all(...params);
  }
}

class SQLiteFile {
  constructor(filename) {
    this.filename = filename;
    this.db = new Database(filename);
  }
  close() {
    this.db.close();
  }
  destroy() {}
  prepare(sql) {
    return new Statement(this.db, sql);
  }
  execSync(sql) {
    this.db.exec(sql);
  }
}

function sqliteStores(directory) {
  mkdirSync(directory, {recursive: true});
  const opts = {directory, journalMode: 'WAL', synchronous: 'NORMAL'};
  const create = (filename) => new SQLiteFile(filename);
  return {create: (name) => new SQLiteStore(name, create, opts), drop: (name) => dropStore(name, create, opts)};
}

function client(cacheURL, dir) {
  return new Zero({
    cacheURL,
    userID: `bench-${randomUUID()}`,
    schema,
    queries,
    mutators,
    kvStore: sqliteStores(dir),
    logLevel: 'error',
  });
}

/** Materialize the account's rows; resolves once zero-cache says the result is complete. */
function complete(z, account, onData) {
  const view = z.materialize(queries.docsOf({account}));
  return new Promise((resolve) => {
    view.addListener((data, resultType) => {
      onData?.(data);
      if (resultType === 'complete') resolve({view, rows: data.length});
    });
  });
}

async function initial(cacheURL, dir, account, expected) {
  const started = performance.now();
  const z = client(cacheURL, dir);
  let rows = 0;
  await complete(z, account, (data) => (rows = data.length));
  const ms = performance.now() - started;
  await z.close();
  console.log(JSON.stringify({ms, rows, expected: Number(expected)}));
}

async function latency(cacheURL, dir, account, upstream, docId, count) {
  const sql = postgres(upstream, {max: 1});
  const z = client(cacheURL, dir);
  let waiting = null;
  const {rows} = await complete(z, account, (data) => {
    if (!waiting) return;
    const row = data.find((d) => d.id === docId);
    if (row && row.data.body === waiting.marker) {
      waiting.resolve(performance.now());
      waiting = null;
    }
  });
  const ms = [];
  for (let i = 0; i < Number(count); i++) {
    const marker = `change ${i} ${randomUUID()}`;
    const seen = new Promise((resolve) => (waiting = {marker, resolve}));
    const t = performance.now();
    await sql`UPDATE doc SET data = jsonb_set(data::jsonb, '{body}', to_jsonb(${marker}::text))::json WHERE id = ${docId}`;
    ms.push((await seen) - t);
    await new Promise((r) => setTimeout(r, 20));
  }
  await z.close();
  await sql.end();
  console.log(JSON.stringify({ms, rows}));
}

async function writes(cacheURL, dir, account, count) {
  const z = client(cacheURL, dir);
  // One query open, so the client is connected and caught up before timing.
  await complete(z, `${account}-writes`);
  const started = performance.now();
  const results = [];
  for (let i = 0; i < Number(count); i++) {
    const id = randomUUID();
    const data = {id, body: `Benchmark message ${i}`, author_kind: 'contact'};
    results.push(z.mutate(mutators.doc.add({id, type: 'message', account_id: `${account}-writes`, data})).server);
  }
  const outcomes = await Promise.all(results);
  const ms = performance.now() - started;
  const failed = outcomes.filter((o) => o.type === 'error').length;
  await z.close();
  console.log(JSON.stringify({ms, count: Number(count), failed}));
}

const [mode, ...args] = process.argv.slice(2);
const modes = {api, initial, latency, writes};
if (!modes[mode]) {
  console.error(`unknown mode ${mode}`);
  process.exit(2);
}
const run = modes[mode](...args);
if (mode !== 'api') {
  run.then(
    () => process.exit(0),
    (e) => {
      console.error(e?.stack ?? e);
      process.exit(1);
    },
  );
}

