/**
 * The deployment page with a long canary: 10,000 samples per cohort (canary and baseline), ten
 * evaluations, a rollback and its incident report. Prints the detail API's latency and size (raw
 * samples, and the charts' downsampled rows the page reads) and the page's time to first chart
 * render in Chromium (from navigation start until the error-rate chart's SVG line path exists),
 * over fresh browser contexts.
 *
 *   node --import tsx bench/deployments-page.ts
 *
 * The deployment is written as the agents leave it (test/support/deployment-fixture.ts): real
 * steps, raw samples and evaluations computed by lib/canary from those samples.
 */
import { chromium } from "playwright-core";
import { chromiumArgs, chromiumPath } from "../test/support/chromium";
import { seedDeploymentFixture } from "../test/support/deployment-fixture";
import { startBenchDatabase, startBenchSite, type BenchSite } from "./support/bench-site";

const SAMPLES_PER_COHORT = 10_000;
const API_SAMPLES = 30;
const PAGE_LOADS = 11;
const CHART_PATH = '[data-testid="chart-error-rate"] .recharts-line path.recharts-curve';
const say = (line: string) => process.stdout.write(`${line}\n`);

function percentile(sorted: number[], p: number) {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

function summarize(label: string, samples: number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  return `${label.padEnd(40)} median ${percentile(sorted, 50).toFixed(0).padStart(5)} ms   p95 ${percentile(sorted, 95).toFixed(0).padStart(5)} ms   max ${sorted.at(-1)!.toFixed(0).padStart(5)} ms`;
}

async function main() {
  say("starting PostgreSQL and writing the deployment");
  const database = await startBenchDatabase("bench-deployments", [{ email: "bench@example.com", role: "manager" }]);
  let site: BenchSite | undefined;
  try {
    const { db } = database;
    const fixture = await seedDeploymentFixture(db, { samplesPerCohort: SAMPLES_PER_COHORT, ending: "rolled_back" });
    await db.$executeRawUnsafe("ANALYZE");
    await db.$disconnect();
    const id = fixture.canaryDeploymentId;
    say(`  deployment ${id}: ${2 * SAMPLES_PER_COHORT} samples, ${fixture.verdicts.length} evaluations, rolled back`);

    say("starting Flowgate on it (production build)");
    site = await startBenchSite(database.databaseUrl, "bench@example.com");
    const { app, cookie } = site;

    // The raw JSON (every sample, for API clients) and the page's own request (the charts' rows).
    const baseUrl = app.url;
    const timeApi = async (search: string) => {
      const durations: number[] = [];
      let bytes = 0;
      for (let i = 0; i < API_SAMPLES + 3; i++) {
        const started = performance.now();
        const response = await fetch(`${baseUrl}/api/v1/deployments/${id}${search}`, { headers: { cookie } });
        const body = await response.arrayBuffer();
        if (!response.ok) throw new Error(`the detail API answered ${response.status}`);
        if (i >= 3) durations.push(performance.now() - started); // the first three warm the server up
        bytes = body.byteLength;
      }
      return { durations, kib: (bytes / 1024).toFixed(0) };
    };
    const raw = await timeApi("");
    const display = await timeApi("?samples=display");

    say("measuring the page in Chromium");
    const browser = await chromium.launch({ executablePath: chromiumPath(), args: chromiumArgs });
    const firstChart: number[] = [];
    try {
      // Each load in a fresh context (empty cache, as for someone opening a link to the rollback);
      // the first also warms the server's page code and is reported on its own.
      for (let i = 0; i < PAGE_LOADS; i++) {
        const context = await browser.newContext({ viewport: { width: 1440, height: 1000 } });
        await context.addCookies([site.browserCookie]);
        const page = await context.newPage();
        await page.goto(`${app.url}/deployments/${id}`, { waitUntil: "commit" });
        await page.locator(CHART_PATH).first().waitFor({ state: "attached", timeout: 60_000 });
        firstChart.push(await page.evaluate(() => performance.now()));
        if (i === 0 && (await page.locator('[data-testid="evaluation-marker"]').count()) === 0) throw new Error("the chart rendered without its evaluation markers");
        await context.close();
      }
    } finally {
      await browser.close();
    }
    const cold = firstChart.shift()!;

    say("");
    say(`deployment page with ${SAMPLES_PER_COHORT} samples per cohort (2 cores, embedded PostgreSQL 18, production build)`);
    say(summarize(`GET /api/v1/deployments/{id} (${raw.kib} KiB)`, raw.durations));
    say(summarize(`  ?samples=display (${display.kib} KiB)`, display.durations));
    say(`${summarize("time to first chart render", firstChart)}   (${firstChart.length} fresh contexts; first load after start ${cold.toFixed(0)} ms)`);
  } finally {
    await site?.app.stop();
    await database.stop();
  }
}

main().catch((err) => {
  process.stderr.write(`bench/deployments-page: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
