// Validates the AsyncAPI document on standard input with @asyncapi/parser
// and its Avro schema parser (NODE_PATH points at where setup installed
// them) and prints the parser's version and its diagnostics as JSON:
// {"parser": "3.6.6", "diagnostics": [{"severity", "code", "message", "path"}]}.
// Severity is Spectral's: 0 error, 1 warning, 2 information, 3 hint.
//
// For AsyncAPI 3 the parser only converts an Avro schema to JSON Schema; it
// never calls the Avro parser's validate (avsc), so this script does, on
// every Avro schema of components.schemas, and reports what avsc refuses
// as an error with the code "avro-schema".
'use strict';
const { Parser } = require('@asyncapi/parser');
const { AvroSchemaParser } = require('@asyncapi/avro-schema-parser');
const parserVersion = require('@asyncapi/parser/package.json').version;

async function main() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  const text = Buffer.concat(chunks).toString('utf8');
  const avro = AvroSchemaParser();
  const parser = new Parser();
  parser.registerSchemaParser(avro);
  const { document, diagnostics } = await parser.parse(text);
  const out = {
    parser: parserVersion,
    parsed: document !== undefined,
    diagnostics: diagnostics.map((d) => ({ severity: d.severity, code: String(d.code), message: d.message, path: d.path.join('/') })),
  };
  const schemas = (JSON.parse(text).components || {}).schemas || {};
  out.avroSchemas = 0;
  for (const [id, s] of Object.entries(schemas)) {
    if (!s.schemaFormat || !avro.getMimeTypes().includes(s.schemaFormat)) continue;
    out.avroSchemas++;
    const path = ['components', 'schemas', id, 'schema'];
    for (const d of await avro.validate({ data: s.schema, path })) {
      out.diagnostics.push({ severity: 0, code: 'avro-schema', message: d.message, path: path.join('/') });
    }
  }
  if (document !== undefined) {
    out.channels = document.channels().length;
    out.operations = document.operations().length;
    out.messages = document.components().messages().length;
  }
  process.stdout.write(JSON.stringify(out) + '\n');
}

main().catch((err) => {
  process.stderr.write(String(err && err.stack ? err.stack : err) + '\n');
  process.exit(1);
});
