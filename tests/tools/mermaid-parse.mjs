// Reads a Mermaid flowchart on stdin and prints, as JSON, what the real
// Mermaid parser made of it: the diagram type, each node's label and each
// edge's ends and label (entities decoded, as Mermaid draws them). Exit 1
// with Mermaid's error when it does not parse. Run by tests/it/integrations.rs:
//   node tests/tools/mermaid-parse.mjs .ci/mermaid < chart.mmd
// where .ci/mermaid holds mermaid and jsdom (installed by .ci/test).
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const modules = createRequire(resolve(process.argv[2], 'package.json'));
const { JSDOM } = modules('jsdom');
const dom = new JSDOM('<!doctype html><html><body></body></html>');
globalThis.window = dom.window;
globalThis.document = dom.window.document;
const { default: mermaid } = await import(pathToFileURL(modules.resolve('mermaid')).href);

// Mermaid keeps `#35;` entities as placeholders until it draws a label.
const decode = (text) =>
  text.replace(/ﬂ°°(\d+)¶ß/g, (_, n) => String.fromCodePoint(Number(n))).replace(/ﬂ°(\w+)¶ß/g, (_, n) => `&${n};`);

const text = readFileSync(0, 'utf8');
try {
  const parsed = await mermaid.parse(text);
  const db = (await mermaid.mermaidAPI.getDiagramFromText(text)).db;
  const nodes = Object.fromEntries([...db.getVertices()].map(([id, v]) => [id, decode(v.text)]));
  const edges = db.getEdges().map((e) => [e.start, e.end, decode(e.text)]);
  console.log(JSON.stringify({ type: parsed.diagramType, nodes, edges }));
} catch (e) {
  console.error(String((e && e.message) || e));
  process.exit(1);
}
