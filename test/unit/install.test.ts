// vfbench as a user gets it: the packed tarball installed into an empty folder without dev dependencies
// (every runtime import must come from `dependencies`), then the commands that need no hosts, from there.
// Also: without rsvg-convert (an optional system tool) the report is written, with a warning, no PDF.
// It needs no lab: it runs beside the unit tests, not in the lab phase where tests run one at a time.
import { describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { copyFile, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { writeRun } from '../helpers/runs.js';

describe('installed from the packed tarball, without dev dependencies', () => {
  it('validates, plans, dry-runs, parses, analyzes and reports from an empty folder', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vfb-install-'));
    try {
      const pack = await execa('npm', ['pack', '--json', '--pack-destination', dir], { cwd: resolve('.') });
      const tgz = join(dir, (JSON.parse(pack.stdout) as { filename: string }[])[0]!.filename);
      const app = join(dir, 'app');
      await execa('mkdir', ['-p', app]);
      await writeFile(join(app, 'package.json'), '{ "name": "vfb-user", "private": true }\n');
      // Without install scripts: where npm reaches GitHub, better-sqlite3's install downloads its prebuilt
      // binary; here it would compile SQLite again (over a minute), so the binary built for this checkout
      // (the same version, from the lock file, for this Node) is put where the download would go.
      await execa('npm', ['install', '--omit=dev', '--no-audit', '--no-fund', '--prefer-offline', '--ignore-scripts', tgz], { cwd: app });
      expect(existsSync(join(app, 'node_modules', 'vitest'))).toBe(false); // really without dev dependencies
      const binary = join('build', 'Release', 'better_sqlite3.node');
      await mkdir(join(app, 'node_modules', 'better-sqlite3', 'build', 'Release'), { recursive: true });
      await copyFile(resolve('node_modules', 'better-sqlite3', binary), join(app, 'node_modules', 'better-sqlite3', binary));
      const pkg = join(app, 'node_modules', 'vfbench');
      // The installed command; with a PATH of no tools at all, its script run by this node.
      const vfbench = (args: string[], env: Record<string, string> = {}) =>
        env.PATH
          ? execa(process.execPath, [join(pkg, 'dist', 'cli', 'main.js'), ...args], { cwd: app, reject: false, env, all: true })
          : execa(join(app, 'node_modules', '.bin', 'vfbench'), args, { cwd: app, reject: false, all: true });

      expect((await vfbench(['--version'])).stdout).toMatch(/^\d+\.\d+\.\d+$/);
      const quick = join(pkg, 'scenarios', 'azure-example.yaml');
      expect((await vfbench(['validate', quick])).exitCode).toBe(0);
      expect((await vfbench(['plan', quick])).stdout).toMatch(/trials .* estimated/);
      const dry = await vfbench(['run', join(pkg, 'scenarios', 'azure-nic-example.yaml'), '--dry-run']);
      expect(dry.exitCode, dry.all).toBe(0);
      expect(dry.stdout).toContain('az network nic update');
      const parsed = await vfbench(['parse', 'sockperf', resolve('test/fixtures/sockperf/captured/pp_udp_m64_t2_fulllog.csv'), '--json']);
      expect(JSON.parse(parsed.stdout).metrics.count).toBe(1549);

      const run = await writeRun(join(dir, 'results'), 'r1', [{ size: 64, p50: { pv: [50, 51, 49], vf: [20, 21, 19] } }]);
      const analyzed = await vfbench(['analyze', run]);
      expect(analyzed.exitCode, analyzed.all).toBe(0);
      expect(analyzed.stdout).toContain('p50');
      // The history (better-sqlite3 from `dependencies`) and the exports work from the installed package.
      const db = join(dir, 'history.db');
      const added = await vfbench(['history', 'add', run, '--db', db]);
      expect(added.exitCode, added.all).toBe(0);
      expect((await vfbench(['history', 'list', '--db', db])).stdout).toContain('r1');
      expect((await vfbench(['export', run, '--format', 'openmetrics'])).stdout).toMatch(/\n# EOF$/); // (execa drops the last newline)
      // PATH without rsvg-convert: SVG, PNG and report.html written, the PDF left out with a warning.
      const report = await vfbench(['report', run], { PATH: join(dir, 'no-tools')});
      expect(report.exitCode, report.all).toBe(0);
      expect(report.stderr).toContain('no PDF figures: rsvg-convert is not installed');
      const figures = await readdir(join(run, 'figures'));
      expect(figures).toContain('latency-percentiles.png');
      expect(figures.filter((f) => f.endsWith('.pdf'))).toEqual([]);
      expect(existsSync(join(run, 'report.html'))).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 300_000);
});
