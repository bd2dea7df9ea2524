import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { writeReport } from '../stages/report/index.js';
import { parse, stringify } from 'yaml';
import { haveModel, haveSharedData, qcc, repo, tempDir } from './helpers.js';
import { CHROMIUM, demoEnv, haveChromium, readManifest } from './report-helpers.js';

const CHARTS = [
  'domain-docs',
  'domain-tokens',
  'funnel',
  'removed',
  'lengths',
  'languages',
  'timestamps',
  'sites',
  'sources',
  'queries',
];

describe.runIf(haveChromium() && haveSharedData() && haveModel())('the demo report in headless Chromium', () => {
  let root: string;
  let reportPath: string;

  beforeAll(async () => {
    root = await tempDir('qcc-report-browser-');
    // Every chart needs data: the demo's relevance loop removes the off-topic web pages of its small crawl samples,
    // leaving no timestamps or sites to draw, so this report is of the demo without the relevance loop.
    const config = parse(readFileSync(join(repo, 'config', 'demo.yaml'), 'utf8')) as Record<string, any>;
    config.seeds.files = config.seeds.files.map((f: string) => join(repo, 'config', f));
    config.relevance = { enabled: false };
    const file = join(root, 'demo-no-relevance.yaml');
    await writeFile(file, stringify(config));
    const r = await qcc(['run', '--config', file, '--out', join(root, 'out')], demoEnv());
    expect(r.code, r.stderr.slice(-2000)).toBe(0);
    const versionDir = join(root, 'out', 'qcc-demo', 'v0001');
    reportPath = await writeReport(versionDir, readManifest(versionDir));
  });

  it('opens from disk, renders every chart with data, makes no request and logs no error', async () => {
    const context = await chromium.launchPersistentContext(join(root, 'user-data'), {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
      viewport: { width: 1280, height: 900 },
    });
    try {
      const errors: string[] = [];
      const requests: string[] = [];
      context.on('request', r => requests.push(r.url()));
      const page = await context.newPage();
      page.on('console', m => {
        if (m.type() === 'error' || m.type() === 'warning') errors.push(`${m.type()}: ${m.text()}`);
      });
      page.on('pageerror', e => errors.push(`pageerror: ${e.message}`));
      const url = pathToFileURL(reportPath).href;
      await page.goto(url, { waitUntil: 'load' });

      const charts = await page.$$eval('svg.chart-svg', svgs =>
        svgs.map(svg => {
          const marks = [...svg.querySelectorAll('rect.mark')].filter(r => {
            const box = r.getBoundingClientRect();
            return box.width > 0 && box.height > 0 && Number(r.getAttribute('data-value')) > 0;
          });
          const box = svg.getBoundingClientRect();
          return { id: svg.getAttribute('data-chart'), marks: marks.length, width: box.width, height: box.height };
        }),
      );
      expect(charts.map(c => c.id).sort()).toEqual([...CHARTS].sort());
      for (const c of charts) {
        expect(c.marks, `${c.id}: marks drawn`).toBeGreaterThan(0);
        expect(c.width, `${c.id}: width`).toBeGreaterThan(100);
        expect(c.height, `${c.id}: height`).toBeGreaterThan(20);
      }
      expect(await page.locator('article.sample').count()).toBeGreaterThan(0);
      expect(
        requests.filter(r => r !== url && !r.startsWith('data:')),
        'network requests',
      ).toEqual([]);
      expect(errors, 'console errors').toEqual([]);

      const screenshot = join(root, 'report.png');
      await page.screenshot({ path: screenshot, fullPage: true });
      console.log(`report screenshot: ${screenshot}`);
    } finally {
      await context.close();
    }
  });
});
