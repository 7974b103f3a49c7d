// Bundles the browser code into ../api/web/static/build/, which the back end serves under /static/build/
// (api/web/assets.py). Run by `npm run build` from the Makefile's web stamp; the output is not committed.
//
// Fixed names other pages rely on:
//   bpmn-viewer.js  IIFE defining window.MotcuaBpmnViewer (bpmn-js NavigatedViewer)
//   bpmn.css        all CSS bpmn-js needs; its icon font files are written next to it
// Ours: bpmn-modeler.js (the modeler page, /quy-trinh/{key}/{version}/sua), quy-trinh.js and quy-trinh.css
// (the process designers' other pages).
import { build } from 'esbuild';
import { rm, mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
const outdir = path.resolve(here, '../api/web/static/build');

const common = {
  bundle: true,
  minify: true,
  target: ['chrome100', 'firefox100', 'safari15'],
  legalComments: 'linked', // licences of the bundled packages, in <bundle>.LEGAL.txt
  logLevel: 'warning',
  outdir,
};

await rm(outdir, { recursive: true, force: true });
await mkdir(outdir, { recursive: true });

await build({
  ...common,
  entryPoints: {
    'bpmn-viewer': path.join(here, 'src/viewer.js'),
    'bpmn-modeler': path.join(here, 'src/modeler.js'),
    'quy-trinh': path.join(here, 'src/quy-trinh.js'),
  },
  format: 'iife',
});

await build({
  ...common,
  entryPoints: { bpmn: path.join(here, 'src/bpmn.css'), 'quy-trinh': path.join(here, 'src/quy-trinh.css') },
  // The icon font's files keep a content hash in their names, so they may be cached for long.
  loader: { '.eot': 'file', '.woff2': 'file', '.woff': 'file', '.ttf': 'file', '.svg': 'file' },
  assetNames: '[name]-[hash]',
});
