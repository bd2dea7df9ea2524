#!/usr/bin/env node
// A real single-node Elasticsearch 8.x for tests, CI and benchmarks.
//
//   node scripts/es.mjs install|start|stop|status [--name default] [--port 9200] [--heap 512m]
//
// install downloads and unzips the node (the first half of start) and, as root, creates the system user `esrun`,
//         so that `npm run setup` makes every download and machine change and the tests make none.
// start   downloads org.elasticsearch.distribution.integ-test-zip:elasticsearch:<version>:zip from Maven
//         Central with mvn into <repo>/.es/ (git-ignored; Maven cache in .es/m2), unzips it, and runs it on
//         JDK 17 bound to 127.0.0.1 with security off, one node, a small heap. As root it runs as the system
//         user `esrun` (Elasticsearch refuses root). Waits for yellow/green and prints the URL as the last
//         stdout line. Already running: prints the URL and exits 0. The line before the URL says whether
//         this call started the node (`started`) or found it running (`running`).
// stop    SIGTERM to the node's pid, waits until it is gone. Not running: exits 0.
// status  prints `running <url>` (exit 0) or `stopped` (exit 3).
//
// Environment: QCC_ES_VERSION (8.19.21), JAVA_HOME / ES_JAVA_HOME (JDK 17), QCC_ES_PORT, QCC_ES_HEAP.
// Progress goes to stderr.
import { $ } from 'zx';
import { cpSync, existsSync, mkdirSync, rmSync, renameSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runningPid, stopServer } from './lib/pid-file.mjs';

const VERSION = process.env.QCC_ES_VERSION ?? '8.19.21';
const ARTIFACT = `org.elasticsearch.distribution.integ-test-zip:elasticsearch:${VERSION}:zip`;
const RUN_USER = 'esrun';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const esRoot = join(repo, '.es');
const home = join(esRoot, `elasticsearch-${VERSION}`);

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    name: { type: 'string', default: 'default' },
    port: { type: 'string', default: process.env.QCC_ES_PORT ?? '9200' },
    heap: { type: 'string', default: process.env.QCC_ES_HEAP ?? '512m' },
  },
});
const command = positionals[0];
if (!/^[a-z0-9-]+$/.test(values.name)) usage(`--name must be lower-case letters, digits and dashes`);
const port = Number(values.port);
if (!Number.isInteger(port) || port <= 0 || port > 65535) usage(`--port must be a TCP port, got ${values.port}`);
const runDir = join(esRoot, 'run', values.name);
const pidFile = join(runDir, 'es.pid');
const url = `http://127.0.0.1:${port}`;

$.quiet = true;
const log = msg => process.stderr.write(`es: ${msg}\n`);

function usage(msg) {
  process.stderr.write(
    `es: ${msg}\nusage: node scripts/es.mjs start|stop|status [--name n] [--port p] [--heap 512m]\n`,
  );
  process.exit(2);
}

function javaHome() {
  const candidates = [process.env.ES_JAVA_HOME, process.env.JAVA_HOME, '/usr/lib/jvm/java-17-openjdk-amd64'];
  for (const c of candidates) if (c && existsSync(join(c, 'bin', 'java'))) return c;
  throw new Error('no JDK 17 found: set JAVA_HOME (or ES_JAVA_HOME) to a JDK 17 install');
}

const pidOf = () => runningPid(pidFile);

async function health(timeoutS) {
  try {
    const res = await fetch(`${url}/_cluster/health?wait_for_status=yellow&timeout=${timeoutS}s`, {
      signal: AbortSignal.timeout((timeoutS + 5) * 1000),
    });
    if (!res.ok) return undefined;
    const body = await res.json();
    return body.status === 'green' || body.status === 'yellow' ? body.status : undefined;
  } catch {
    return undefined;
  }
}

async function download() {
  if (existsSync(join(home, 'bin', 'elasticsearch'))) return;
  try {
    await $`mvn -v`;
  } catch {
    throw new Error('mvn (Apache Maven) is not installed: it downloads Elasticsearch from Maven Central');
  }
  const dl = join(esRoot, 'download');
  mkdirSync(dl, { recursive: true });
  const zip = join(dl, `elasticsearch-${VERSION}.zip`);
  if (!existsSync(zip)) {
    log(`downloading ${ARTIFACT} from Maven Central (~107 MB)`);
    await $`mvn -B -q dependency:copy -Dartifact=${ARTIFACT} -DoutputDirectory=${dl} -Dmaven.repo.local=${join(esRoot, 'm2')}`;
  }
  log(`unzipping into ${home}`);
  const tmp = join(esRoot, `.unzip-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  await $`unzip -q ${zip} -d ${tmp}`;
  renameSync(join(tmp, `elasticsearch-${VERSION}`), home);
  rmSync(tmp, { recursive: true, force: true });
}

/** Elasticsearch refuses to run as root: as root, run it as a system user that owns the run folder. */
async function runUser() {
  if (process.getuid?.() !== 0) return undefined;
  try {
    await $`id -u ${RUN_USER}`;
  } catch {
    log(`creating system user ${RUN_USER}`);
    await $`useradd --system --no-create-home --shell /usr/sbin/nologin ${RUN_USER}`;
  }
  const uid = (await $`id -u ${RUN_USER}`).stdout.trim();
  const gid = (await $`id -g ${RUN_USER}`).stdout.trim();
  return { uid, gid };
}

async function start() {
  const t0 = Date.now();
  while (pidOf() !== undefined) {
    if (await health(5)) {
      console.log('running');
      console.log(url);
      return;
    }
    if (Date.now() - t0 > 120_000)
      throw new Error(`a node is running (pid ${pidOf()}) but ${url} is not healthy; see ${join(runDir, 'logs')}`);
    await new Promise(r => setTimeout(r, 1000));
  }
  const jdk = javaHome();
  await download();
  for (const d of ['data', 'logs', 'tmp']) mkdirSync(join(runDir, d), { recursive: true });
  // The node writes its keystore into its config folder: give it its own copy.
  if (!existsSync(join(runDir, 'config'))) cpSync(join(home, 'config'), join(runDir, 'config'), { recursive: true });
  rmSync(pidFile, { force: true });
  const user = await runUser();
  if (user) await $`chown -R ${user.uid}:${user.gid} ${runDir}`;
  const env = [
    `ES_JAVA_HOME=${jdk}`,
    `ES_PATH_CONF=${join(runDir, 'config')}`,
    `ES_TMPDIR=${join(runDir, 'tmp')}`,
    `ES_JAVA_OPTS=-Xms${values.heap} -Xmx${values.heap}`,
  ];
  const args = [
    join(home, 'bin', 'elasticsearch'),
    '-d',
    '-p',
    pidFile,
    '-E',
    'discovery.type=single-node',
    '-E',
    'network.host=127.0.0.1',
    '-E',
    `http.port=${port}`,
    '-E',
    'transport.port=0',
    '-E',
    'xpack.security.enabled=false',
    '-E',
    'cluster.routing.allocation.disk.threshold_enabled=false',
    '-E',
    `path.data=${join(runDir, 'data')}`,
    '-E',
    `path.logs=${join(runDir, 'logs')}`,
    '-E',
    `cluster.name=qcc-${values.name}`,
  ];
  log(`starting Elasticsearch ${VERSION} on ${url} (heap ${values.heap}, logs in ${join(runDir, 'logs')})`);
  const prefix = user ? ['setpriv', `--reuid=${user.uid}`, `--regid=${user.gid}`, '--clear-groups', '--'] : [];
  try {
    await $`${prefix} env ${env} ${args}`;
  } catch (err) {
    throw new Error(`Elasticsearch did not start: ${err.stderr || err.stdout || err.message}`.trim());
  }
  const started = Date.now();
  while (Date.now() - started < 180_000) {
    const status = await health(5);
    if (status) {
      log(`${status} after ${Math.round((Date.now() - started) / 1000)} s`);
      console.log('started');
      console.log(url);
      return;
    }
    if (existsSync(pidFile) && pidOf() === undefined) break;
    await new Promise(r => setTimeout(r, 1000));
  }
  throw new Error(
    `Elasticsearch on ${url} did not become healthy; see ${join(runDir, 'logs', `qcc-${values.name}.log`)}`,
  );
}

async function stop() {
  await stopServer(pidFile, { timeoutMs: 60_000, log });
}

async function status() {
  if (pidOf() !== undefined && (await health(2))) {
    console.log(`running ${url}`);
    return;
  }
  console.log('stopped');
  process.exitCode = 3;
}

async function install() {
  await download();
  await runUser();
  console.log(home);
}

const commands = { install, start, stop, status };
if (!commands[command]) usage(command ? `unknown command ${command}` : 'a command is required');
try {
  await commands[command]();
} catch (err) {
  process.stderr.write(`es: ${err.message}\n`);
  process.exit(1);
}
