// What the daemon serves for the dashboard (the build's dashboard folder),
// gzipped file by file as a browser receives it: at most 300 KB in all.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

test('the whole dashboard is at most 300 KB gzipped', () => {
  const dir = process.env.MLOPS_DASHBOARD_DIR;
  assert.ok(dir, 'MLOPS_DASHBOARD_DIR is not set');
  let raw = 0;
  let gz = 0;
  for (const name of readdirSync(dir)) {
    const data = readFileSync(join(dir, name));
    raw += data.length;
    gz += gzipSync(data, { level: 9 }).length;
  }
  console.log(`dashboard bundle: ${readdirSync(dir).length} files, ${raw} bytes, ${gz} bytes gzipped`);
  assert.ok(readdirSync(dir).includes('index.html'));
  assert.ok(gz <= 300 * 1024, `${gz} bytes gzipped`);
});
