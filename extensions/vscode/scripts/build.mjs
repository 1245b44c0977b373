// Bundles the extension into out/extension.js with esbuild (`--watch` to rebuild on change).
import * as esbuild from 'esbuild';

const options = {
  entryPoints: ['src/extension.ts'],
  bundle: true,
  outfile: 'out/extension.js',
  platform: 'node',
  target: 'node18',
  format: 'cjs',
  external: ['vscode'],
  // jsonc-parser's UMD build (its "main") requires modules dynamically: take its ES module build.
  mainFields: ['module', 'main'],
  sourcemap: true,
  minify: process.argv.includes('--minify'),
  logLevel: 'info',
};

if (process.argv.includes('--watch')) {
  await (await esbuild.context(options)).watch();
} else {
  await esbuild.build(options);
}
