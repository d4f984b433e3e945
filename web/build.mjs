// Builds the offline pages into dist/: the GraphiQL playground (index.html, served at /) and
// the explorer (explore.html, served at /explore). Each has one minified JS bundle and one
// CSS file (GraphiQL's own styles included, fonts inlined) with content hashes in their
// names, loaded by relative path. Run with `npm run build`.
//
// It also builds the nightly report's script and stylesheet (Chart.js included) to the fixed
// paths dist/report/report.js and dist/report/report.css. They are not served: the Go
// report renderer inlines them into one self-contained HTML file (web.ReportAssets), so they
// must never contain the text that would end their <script> or <style> element early.
//
// Before bundling it checks, against ../schema.graphqls and ../README.md:
//   - every example query of the playground and every query of the explorer validates;
//   - every example tab's title is the one its opening comment gives (src/tabtitle.js);
//   - every query of the README's "Example queries" section is one of the tabs.
import { build } from 'esbuild';
import { readFile, rm, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSchema, parse, validate } from 'graphql';
import { examples } from './src/examples.js';
import { tabTitle } from './src/tabtitle.js';
import { allDocuments } from './src/explore/queries.js';

// CDN hosts the bundle must never name (joined at run time so this list is not itself a hit;
// web/embed_test.go checks the same).
const forbidden = [['unpkg', 'com'], ['jsdelivr'], ['cdnjs'], ['esm', 'sh'], ['fonts', 'googleapis']].map((p) => p.join('.'));

const here = path.dirname(fileURLToPath(import.meta.url));
const dist = path.join(here, 'dist');

// GraphiQL's React-version guard has an error message that suggests loading it from a CDN.
// The playground never does; this plugin rewords that message so that the bundle does not
// name any CDN and the forbidden-name check above stays strict.
const noCdnHints = {
  name: 'no-cdn-hints',
  setup(b) {
    b.onLoad({ filter: /[\\/]graphiql[\\/]dist[\\/]index\.mjs$/ }, async (args) => {
      const src = await readFile(args.path, 'utf8');
      return { contents: src.replace(/\(jsdelivr, unpkg, etc\)/g, '(a prebuilt bundle)'), loader: 'js' };
    });
  },
};

// GraphiQL titles a tab by its operation name (WhyIsBestBuyExposed). This plugin makes it
// use tabTitle first (the query's opening comment), then the operation name, in the three
// places @graphiql/react computes a title. A GraphiQL upgrade that changes them fails the
// build here rather than bringing the old titles back unnoticed.
const friendlyTabTitles = {
  name: 'friendly-tab-titles',
  setup(b) {
    b.onLoad({ filter: /[\\/]@graphiql[\\/]react[\\/]dist[\\/]index\.mjs$/ }, async (args) => {
      let src = await readFile(args.path, 'utf8');
      const edits = [
        ['title: operationName || DEFAULT_TITLE,', 'title: (query && riskgraphTabTitle(query)) || operationName || DEFAULT_TITLE,'],
        [
          'title: query && fuzzyExtractOperationName(query) || DEFAULT_TITLE,',
          'title: query && (riskgraphTabTitle(query) || fuzzyExtractOperationName(query)) || DEFAULT_TITLE,',
        ],
        [
          'title: newTab.operationName || (newTab.query ? fuzzyExtractOperationName(newTab.query) : void 0) || DEFAULT_TITLE',
          'title: (newTab.query ? riskgraphTabTitle(newTab.query) : null) || newTab.operationName || (newTab.query ? fuzzyExtractOperationName(newTab.query) : void 0) || DEFAULT_TITLE',
        ],
      ];
      for (const [from, to] of edits) {
        if (src.split(from).length !== 2) {
          throw new Error(`friendly-tab-titles: @graphiql/react no longer has exactly one "${from}"; update build.mjs`);
        }
        src = src.replace(from, to);
      }
      const helper = JSON.stringify(path.join(here, 'src', 'tabtitle.js'));
      return { contents: `import { tabTitle as riskgraphTabTitle } from ${helper};\n${src}`, loader: 'js', resolveDir: path.dirname(args.path) };
    });
  },
};

// enumValues reads the values of one enum of the schema, in the schema's order.
function enumValues(schema, name) {
  const t = schema.getType(name);
  if (!t || !t.getValues) throw new Error(`schema.graphqls has no enum ${name}`);
  return t.getValues().map((v) => v.name);
}

// schemaModule serves `import { riskDimensions, entityKinds } from 'riskgraph:schema'`: the
// explorer's lists of dimensions and kinds come from the schema, never a copy of it.
function schemaModule(schema) {
  const contents = `export const riskDimensions = ${JSON.stringify(enumValues(schema, 'RiskDimension'))};
export const entityKinds = ${JSON.stringify(enumValues(schema, 'EntityKind'))};
`;
  return {
    name: 'riskgraph-schema',
    setup(b) {
      b.onResolve({ filter: /^riskgraph:schema$/ }, () => ({ path: 'schema', namespace: 'riskgraph' }));
      b.onLoad({ filter: /.*/, namespace: 'riskgraph' }, () => ({ contents, loader: 'js' }));
    },
  };
}

// readmeExamples returns the queries of the README's "Example queries" section: each one
// starts with a comment line after a blank line, inside the section's graphql blocks.
function readmeExamples(readme) {
  const section = readme.split(/^## /m).find((s) => s.startsWith('Example queries'));
  if (!section) throw new Error('README.md has no "## Example queries" section');
  const blocks = [...section.matchAll(/```graphql\n([\s\S]*?)```/g)].map((m) => m[1]);
  return blocks.flatMap((b) => b.split(/\n\s*\n(?=#)/)).map((q) => q.trim()).filter(Boolean);
}

async function checkQueries(schema) {
  const problems = [];
  const check = (name, query) => {
    let doc;
    try {
      doc = parse(query);
    } catch (err) {
      problems.push(`${name}: ${err.message}`);
      return;
    }
    for (const err of validate(schema, doc)) problems.push(`${name}: ${err.message}`);
  };
  for (const ex of examples) {
    check(`example "${ex.title}"`, ex.query);
    if (tabTitle(ex.query) !== ex.title) {
      problems.push(`example "${ex.title}": its query opens with the title "${tabTitle(ex.query)}"; make them the same`);
    }
  }
  for (const [name, query] of Object.entries(allDocuments(enumValues(schema, 'RiskDimension')))) {
    check(`explorer ${name}`, query);
  }
  const readme = await readFile(path.join(here, '..', 'README.md'), 'utf8');
  const tabs = new Set(examples.map((ex) => ex.query.trim()));
  for (const q of readmeExamples(readme)) {
    if (!tabs.has(q)) problems.push(`README example "${q.split('\n')[0]}" is not a playground tab: copy it into src/examples.js`);
  }
  if (problems.length > 0) {
    throw new Error(`queries do not match schema.graphqls or README.md:\n  ${problems.join('\n  ')}`);
  }
}

async function main() {
  const sdl = await readFile(path.join(here, '..', 'schema.graphqls'), 'utf8');
  // The schema uses `extend type Query`; buildSchema accepts extensions in the same document.
  const schema = buildSchema(sdl);
  await checkQueries(schema);
  await rm(dist, { recursive: true, force: true });
  await mkdir(dist, { recursive: true });

  const result = await build({
    entryPoints: {
      app: path.join(here, 'src', 'main.jsx'),
      explore: path.join(here, 'src', 'explore', 'main.jsx'),
    },
    outdir: dist,
    entryNames: 'assets/[name]-[hash]',
    bundle: true,
    minify: true,
    format: 'iife',
    platform: 'browser',
    target: ['es2020'],
    jsx: 'automatic',
    define: { 'process.env.NODE_ENV': '"production"' },
    // Anything a stylesheet references is inlined, so nothing is fetched from elsewhere.
    loader: { '.woff': 'dataurl', '.woff2': 'dataurl', '.ttf': 'dataurl', '.svg': 'dataurl', '.png': 'dataurl' },
    legalComments: 'linked',
    metafile: true,
    plugins: [noCdnHints, friendlyTabTitles, schemaModule(schema)],
    logLevel: 'warning',
  });

  // The report bundle is inlined, so it carries its licence comments itself (legalComments
  // 'eof') rather than pointing at a .LEGAL.txt file a mail attachment would not have.
  const report = await build({
    entryPoints: { report: path.join(here, 'src', 'report', 'report.js') },
    outdir: path.join(dist, 'report'),
    entryNames: '[name]',
    bundle: true,
    minify: true,
    format: 'iife',
    platform: 'browser',
    target: ['es2020'],
    legalComments: 'eof',
    metafile: true,
    logLevel: 'warning',
  });

  const rel = (p) => path.relative(dist, path.resolve(p)).split(path.sep).join('/');
  const outputs = Object.keys(result.metafile.outputs).map(rel);
  const reportOutputs = Object.keys(report.metafile.outputs).map(rel).sort();
  if (reportOutputs.join(' ') !== 'report/report.css report/report.js') {
    throw new Error(`esbuild produced ${reportOutputs.join(', ')} for the report; want report/report.css and report/report.js`);
  }
  for (const p of reportOutputs) {
    const text = (await readFile(path.join(dist, p), 'utf8')).toLowerCase();
    const closer = p.endsWith('.js') ? ['</script', '<!--'] : ['</style', '<!--'];
    const hit = closer.find((c) => text.includes(c));
    if (hit) throw new Error(`dist/${p} contains "${hit}", which would break out of the report page's inline element`);
  }
  outputs.push(...reportOutputs);
  const pages = [
    ['app', 'index.html', 'main.jsx'],
    ['explore', 'explore.html', 'explore/main.jsx'],
  ];
  for (const [name, template, entry] of pages) {
    const out = Object.entries(result.metafile.outputs).find(([, o]) => o.entryPoint?.endsWith(`src/${entry}`));
    const js = out && rel(out[0]);
    const css = out?.[1].cssBundle && rel(out[1].cssBundle);
    if (!js || !css) throw new Error(`esbuild produced no JS or no CSS for ${name}: ${outputs.join(', ')}`);
    const html = (await readFile(path.join(here, 'src', template), 'utf8')).replace('{{JS}}', js).replace('{{CSS}}', css);
    await writeFile(path.join(dist, template), html);
    outputs.push(template);
  }

  for (const p of outputs) {
    const text = await readFile(path.join(dist, p), 'utf8');
    const hit = forbidden.find((n) => text.includes(n));
    if (hit) throw new Error(`dist/${p} names a CDN (${hit}); the pages must work offline`);
  }
  for (const [p, o] of [...Object.entries(result.metafile.outputs), ...Object.entries(report.metafile.outputs)]) {
    console.log(`dist/${rel(p)}  ${(o.bytes / 1024).toFixed(0)} KiB`);
  }
}

main().catch((err) => {
  console.error(err.message || err);
  process.exit(1);
});
