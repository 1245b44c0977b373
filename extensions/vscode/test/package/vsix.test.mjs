// `npm run test:package`: the .vsix files as shipped (made by `npm run package`), in this
// directory or in $FLAKE_LSP_VSIX_DIR. Each must say in extension.vsixmanifest the platform its
// name says; a platform one must carry an executable extension/server/flake-lsp built for that
// platform; the universal one must carry no extension/server/.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import yauzl from 'yauzl';
import { HEADER_SIZE, PLATFORMS, checkServer } from '../../scripts/binary.mjs';

const here = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const dir = resolve(process.env.FLAKE_LSP_VSIX_DIR ?? here);

/** The zip's entries by name, and a reader of one entry's first bytes. */
async function openZip(file) {
  const zip = await new Promise((ok, err) => yauzl.open(file, { lazyEntries: true, autoClose: false }, (e, z) => (e ? err(e) : ok(z))));
  const entries = new Map();
  await new Promise((ok, err) => {
    zip.on('entry', (entry) => {
      entries.set(entry.fileName, entry);
      zip.readEntry();
    });
    zip.on('end', ok);
    zip.on('error', err);
    zip.readEntry();
  });
  const read = (entry, limit = Infinity) =>
    new Promise((ok, err) =>
      zip.openReadStream(entry, (e, stream) => {
        if (e) return err(e);
        const chunks = [];
        let size = 0;
        stream.on('data', (chunk) => {
          chunks.push(chunk);
          size += chunk.length;
          if (size >= limit) {
            stream.destroy();
            ok(Buffer.concat(chunks).subarray(0, limit));
          }
        });
        stream.on('end', () => ok(Buffer.concat(chunks)));
        stream.on('error', err);
      }),
    );
  return { entries, read, close: () => zip.close() };
}

for (const platform of [...Object.keys(PLATFORMS), 'universal']) {
  const name = `flake-lsp-${platform}.vsix`;
  test(name, async () => {
    const file = join(dir, name);
    if (!existsSync(file)) assert.fail(`no ${file}: run \`npm run package\` first`);
    const zip = await openZip(file);
    try {
      const manifestEntry = zip.entries.get('extension.vsixmanifest');
      assert.ok(manifestEntry, `${name} has no extension.vsixmanifest`);
      const manifest = (await zip.read(manifestEntry)).toString('utf8');
      const identity = manifest.match(/<Identity\b[^>]*>/)?.[0];
      assert.ok(identity, `${name}: no <Identity> in extension.vsixmanifest`);
      const target = identity.match(/\bTargetPlatform="([^"]*)"/)?.[1];
      assert.equal(target, platform === 'universal' ? undefined : platform, `${name}: TargetPlatform in ${identity}`);
      assert.ok(zip.entries.has('extension/package.json'), `${name} has no extension/package.json`);
      assert.ok(zip.entries.has('extension/out/extension.js'), `${name} has no extension/out/extension.js`);

      const server = zip.entries.get('extension/server/flake-lsp');
      if (platform === 'universal') {
        const shipped = [...zip.entries.keys()].filter((n) => n.startsWith('extension/server/'));
        assert.deepEqual(shipped, [], `${name} must not ship a server`);
        return;
      }
      assert.ok(server, `${name} has no extension/server/flake-lsp`);
      // vsce writes the zip with yazl, which records the file's unix mode (made by unix, mode in
      // the high 16 bits of the external attributes); the packager makes it 0755. VS Code
      // extracts with it, and src/locate.ts repairs a lost bit anyway, but ship it right.
      assert.equal(server.versionMadeBy >> 8, 3, `${name}: extension/server/flake-lsp has no unix attributes`);
      const mode = server.externalFileAttributes >>> 16;
      assert.equal(mode & 0o170000, 0o100000, `${name}: extension/server/flake-lsp is not a regular file (mode ${mode.toString(8)})`);
      assert.equal(mode & 0o111, 0o111, `${name}: extension/server/flake-lsp is not executable (mode ${mode.toString(8)})`);
      const wrong = checkServer(platform, await zip.read(server, HEADER_SIZE));
      assert.equal(wrong, null, `${name}: ${wrong}`);
    } finally {
      zip.close();
    }
  });
}
