// Test helper: starts the real mlopsd (built binaries, from CTest's
// environment) on 127.0.0.1 with a fresh state folder, and speaks to its
// API with the bootstrap admin token or another one.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync, rmSync, mkdirSync, openSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export async function waitFor(what, fn, timeoutMs = 60000, everyMs = 100) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export class Daemon {
  constructor() {
    this.dir = mkdtempSync(join(tmpdir(), 'mlops-dash-'));
    this.state = join(this.dir, 'state');
    this.pipelines = join(this.dir, 'pipelines');
    mkdirSync(this.pipelines);
    this.logPath = join(this.dir, 'mlopsd.log');
  }

  // `config`: the text of a config file given with --config, if any.
  async start(config) {
    const log = openSync(this.logPath, 'a');
    const extra = [];
    if (config) {
      writeFileSync(join(this.dir, 'mlopsd.yaml'), config);
      extra.push('--config', join(this.dir, 'mlopsd.yaml'));
    }
    this.proc = spawn(process.env.MLOPSD_BIN, [...extra,
      '--state-dir', this.state, '--listen', '127.0.0.1:0', '--pipelines', this.pipelines,
      '--cpus', '2', '--plugin-dir', process.env.MLOPS_PLUGIN_DIR,
    ], { stdio: ['ignore', log, log] });
    const addrFile = join(this.state, 'mlopsd.addr');
    await waitFor('mlopsd.addr', () => existsSync(addrFile) && readFileSync(addrFile, 'utf8').trim(), 30000);
    this.url = `http://${readFileSync(addrFile, 'utf8').trim()}`;
    this.adminToken = readFileSync(join(this.state, 'admin.token'), 'utf8').trim();
  }

  async stop() {
    if (this.proc && this.proc.exitCode === null) {
      const done = new Promise((r) => this.proc.once('exit', r));
      this.proc.kill('SIGTERM');
      await done;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  log() { return readFileSync(this.logPath, 'utf8'); }

  async call(method, path, body, token = this.adminToken) {
    const headers = token ? { Authorization: `Bearer ${token}` } : {};
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const r = await fetch(this.url + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await r.text();
    let json = null;
    try { json = JSON.parse(text); } catch { /* not JSON */ }
    return { status: r.status, json, text, headers: r.headers };
  }

  // Starts a run and waits for its end; returns the finished run.
  async runPipeline(name, body = {}) {
    const r = await this.call('POST', `/api/v1/pipelines/${name}/runs`, body);
    if (r.status !== 201) throw new Error(`trigger ${name}: ${r.status} ${r.text}`);
    return waitFor(`run ${r.json.id}`, async () => {
      const run = (await this.call('GET', `/api/v1/runs/${r.json.id}?wait_ms=1000`)).json;
      return ['succeeded', 'failed', 'cancelled', 'interrupted'].includes(run.status) ? run : null;
    }, 300000, 10);
  }
}
