// Real PouchDB replication from a pouchdb-server database, timed; used by scripts/bench/sync.py.
//
//   node replicate.js initial URL ADAPTER BATCH_SIZE [DIR]
//     one fresh client: PouchDB.replicate(URL -> a new local database) with the given batch_size
//     (PouchDB's default is 100); ADAPTER is "memory" (pouchdb-adapter-memory) or "leveldb" (in DIR).
//     Prints {"ms", "docs_written", "doc_count"}.
//
//   node replicate.js incremental URL CLIENTS ROUNDS SINCE TEMPLATE_JSON
//     CLIENTS clients, each with its own PouchDB handle on URL and its own in-memory local database,
//     first take a checkpoint at SINCE (the head, as if each had already synced), untimed; then ROUNDS
//     times: one new document is written to URL (TEMPLATE_JSON with a new _id), and all clients run
//     PouchDB.replicate(URL -> local) at the same instant (checkpoint look-up, _changes, _bulk_get,
//     local write, checkpoint write: what an already-synced PouchDB app does on each sync).
//     Prints {"ms": [per-replication wall times]}.
//
// The timings start after node, PouchDB and the databases are loaded.

"use strict";

const PouchDB = require("pouchdb");
PouchDB.plugin(require("pouchdb-adapter-memory"));

const { performance } = require("node:perf_hooks");
const { randomUUID } = require("node:crypto");

async function initial(url, adapter, batchSize, dir) {
  const name = adapter === "memory" ? `fresh-${randomUUID()}` : `${dir}/fresh-${randomUUID()}`;
  const local = new PouchDB(name, { adapter });
  const remote = new PouchDB(url);
  await remote.info();
  await local.info();
  const t = performance.now();
  const result = await PouchDB.replicate(remote, local, { batch_size: batchSize });
  const ms = performance.now() - t;
  const info = await local.info();
  await local.destroy();
  return { ms, docs_written: result.docs_written, doc_count: info.doc_count };
}

async function incremental(url, clients, rounds, since, template) {
  const pairs = [];
  for (let i = 0; i < clients; i++) {
    pairs.push([new PouchDB(url), new PouchDB(`client-${i}-${randomUUID()}`, { adapter: "memory" })]);
  }
  // Each client's checkpoint at the head (written on the server and locally), as after an initial sync.
  for (let i = 0; i < clients; i += 20) {
    await Promise.all(pairs.slice(i, i + 20).map(([remote, local]) => PouchDB.replicate(remote, local, { since })));
  }
  const ms = [];
  for (let r = 0; r < rounds; r++) {
    const id = randomUUID();
    const doc = { ...template, _id: id, id, body: `change ${r}` };
    const put = await fetch(`${url}/${doc._id}`, {
      method: "PUT", headers: { "Content-Type": "application/json" }, body: JSON.stringify(doc),
    });
    if (!put.ok) throw new Error(`PUT ${put.status}`);
    const got = await Promise.all(pairs.map(async ([remote, local]) => {
      const t = performance.now();
      const result = await PouchDB.replicate(remote, local);
      ms.push(performance.now() - t);
      return result.docs_written;
    }));
    if (Math.min(...got) < 1) throw new Error("a client did not receive the change");
  }
  return { ms };
}

async function main() {
  const [mode, url, ...rest] = process.argv.slice(2);
  let out;
  if (mode === "initial") {
    out = await initial(url, rest[0], parseInt(rest[1], 10), rest[2]);
  } else if (mode === "incremental") {
    const since = /^\d+$/.test(rest[2]) ? parseInt(rest[2], 10) : rest[2];
    out = await incremental(url, parseInt(rest[0], 10), parseInt(rest[1], 10), since, JSON.parse(rest[3]));
  } else {
    throw new Error(`unknown mode ${mode}`);
  }
  process.stdout.write(JSON.stringify(out) + "\n");
}

main().catch((err) => {
  console.error(err && err.stack ? err.stack : err);
  process.exit(1);
});
