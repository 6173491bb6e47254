// Runs SQL statements on chDB (current ClickHouse, embedded) for the Go test
// chdb_test.go: reads a JSON array of statements on stdin, runs them in
// order in one session stored in the directory given as the first argument,
// and writes a JSON array of {"csv": result} or {"error": message}, one per
// statement, on stdout. It stops at the first error, unless the second
// argument is "keep-going" (a check that expects some statements refused). The chdb package is
// found through NODE_PATH (deploy/scripts/setup installs it).
"use strict";
const { Session } = require("chdb");

const dir = process.argv[2];
const keepGoing = process.argv[3] === "keep-going";
if (!dir) {
  console.error("usage: node chdb.js SESSION_DIR [keep-going] < statements.json");
  process.exit(2);
}
const statements = JSON.parse(require("fs").readFileSync(0, "utf8"));
const session = new Session(dir);
const out = [];
for (const sql of statements) {
  try {
    out.push({ csv: session.query(sql, "CSVWithNames") });
  } catch (e) {
    out.push({ error: String(e && e.message ? e.message : e) });
    if (!keepGoing) break;
  }
}
if (typeof session.cleanup === "function") session.cleanup();
process.stdout.write(JSON.stringify(out));
