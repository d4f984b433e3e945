// Builds the offline playground into dist/: one minified JS bundle and one CSS file
// (GraphiQL's own styles included, fonts inlined), with content hashes in their names,
// and an index.html that loads them by relative path. Run with `npm run build`.
//
// Before bundling, every example query is validated against ../schema.graphqls so that
// the default tabs can never drift from the API.
import { build } from 'esbuild';
import { readFile, rm, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSchema, parse, validate } from 'graphql';
import { examples } from './src/examples.js';

// Names of CDNs that must not appear anywhere in dist/ (web/embed_test.go checks the same).
// CDN hosts the bundle must never name (joined at run time so this list is not itself a hit).
const forbidden = [['unpkg', 'com'], ['jsdelivr'], ['cdnjs'], ['esm', 'sh'], ['fonts', 'googleapis']].map((p) => p.join('.'));

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

const here = path.dirname(fileURLToPath(import.meta.url));
const dist = path.join(here, 'dist');

async function checkExamples() {
  const sdl = await readFile(path.join(here, '..', 'schema.graphqls'), 'utf8');
  // The schema uses `extend type Query`; buildSchema accepts extensions in the same document.
  const schema = buildSchema(sdl);
  const problems = [];
  for (const ex of examples) {
    let doc;
    try {
      doc = parse(ex.query);
    } catch (err) {
      problems.push(`${ex.title}: ${err.message}`);
      continue;
    }
    for (const err of validate(schema, doc)) {
      problems.push(`${ex.title}: ${err.message}`);
    }
  }
  if (problems.length > 0) {
    throw new Error(`example queries do not match schema.graphqls:\n  ${problems.join('\n  ')}`);
  }
}

async function main() {
  await checkExamples();
  await rm(dist, { recursive: true, force: true });
  await mkdir(dist, { recursive: true });

  const result = await build({
    entryPoints: { app: path.join(here, 'src', 'main.jsx') },
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
    plugins: [noCdnHints],
    logLevel: 'warning',
  });

  const outputs = Object.keys(result.metafile.outputs).map((p) => path.relative(dist, path.resolve(p)));
  const js = outputs.find((p) => p.endsWith('.js'));
  const css = outputs.find((p) => p.endsWith('.css'));
  if (!js || !css) {
    throw new Error(`esbuild produced no JS or no CSS: ${outputs.join(', ')}`);
  }
  const html = (await readFile(path.join(here, 'src', 'index.html'), 'utf8'))
    .replace('{{JS}}', js.split(path.sep).join('/'))
    .replace('{{CSS}}', css.split(path.sep).join('/'));
  await writeFile(path.join(dist, 'index.html'), html);

  for (const p of [...outputs, 'index.html']) {
    const text = await readFile(path.join(dist, p), 'utf8');
    const hit = forbidden.find((name) => text.includes(name));
    if (hit) {
      throw new Error(`dist/${p} names a CDN (${hit}); the playground must work offline`);
    }
  }
  for (const p of outputs) {
    const bytes = result.metafile.outputs[path.relative(process.cwd(), path.join(dist, p))]?.bytes;
    console.log(`dist/${p}${bytes ? `  ${(bytes / 1024).toFixed(0)} KiB` : ''}`);
  }
}

main().catch((err) => {
  console.error(err.message || err);
  process.exit(1);
});
