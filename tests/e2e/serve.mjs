// A static server for the built site (_site) under a sub-path, as GitHub Pages serves a
// project at https://user.github.io/repo/. `overrides` maps a path to replacement text,
// to simulate a new deployment.

import { createServer } from 'node:http';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';

const TYPES = {
  '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml', '.webmanifest': 'application/manifest+json',
};

export function serve(dir, prefix = '/to3mf/', overrides = new Map()) {
  const root = resolve(dir);
  return new Promise((ok) => {
    const server = createServer((req, res) => {
      const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
      if (!path.startsWith(prefix)) return res.writeHead(404).end();
      const rel = path.slice(prefix.length) || 'index.html';
      const file = resolve(join(root, rel));
      const headers = { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-cache' };
      if (overrides.has(rel)) return res.writeHead(200, headers).end(overrides.get(rel));
      if (!file.startsWith(root) || !existsSync(file) || statSync(file).isDirectory()) return res.writeHead(404).end();
      res.writeHead(200, headers).end(readFileSync(file));
    });
    server.listen(0, '127.0.0.1', () => ok({ server, url: `http://127.0.0.1:${server.address().port}${prefix}` }));
  });
}
