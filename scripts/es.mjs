#!/usr/bin/env node
// A real Elasticsearch 8.x for tests, CI and benchmarks: one node, or a cluster of several on this machine.
//
//   node scripts/es.mjs install|start|stop|status [--name default] [--port 9200] [--heap 512m]
//                       [--nodes 1] [--transport-port <port + 100>]
//
// --nodes N (N > 1) runs N nodes of one cluster (cluster.name qcc-<name>): node i listens on HTTP port
//         port + i and transport port transport-port + i, finds the others by discovery.seed_hosts (their
//         transport ports), and all are master-eligible (a quorum survives one lost node of three). Each node
//         has its own folder .es/run/<name>/node-<i> and pid file. start waits for all N nodes to join and
//         prints every node's URL, comma-separated, as the last stdout line (the form QCC_ES_URL takes);
//         stop and status act on every node.
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
    nodes: { type: 'string', default: '1' },
    'transport-port': { type: 'string' },
  },
});
const command = positionals[0];
if (!/^[a-z0-9-]+$/.test(values.name)) usage(`--name must be lower-case letters, digits and dashes`);
const port = Number(values.port);
if (!Number.isInteger(port) || port <= 0 || port > 65535) usage(`--port must be a TCP port, got ${values.port}`);
const nodeCount = Number(values.nodes);
if (!Number.isInteger(nodeCount) || nodeCount < 1 || nodeCount > 9)
  usage(`--nodes must be 1 to 9, got ${values.nodes}`);
const transportPort = Number(values['transport-port'] ?? port + 100);
if (!Number.isInteger(transportPort) || transportPort <= 0 || transportPort + nodeCount > 65535)
  usage(`--transport-port must be a TCP port, got ${values['transport-port']}`);
const clusterName = `qcc-${values.name}`;

/** One node of the cluster: its folder, pid file, HTTP URL and transport port. A single node keeps the old layout. */
function nodeSpec(i) {
  const dir = nodeCount === 1 ? join(esRoot, 'run', values.name) : join(esRoot, 'run', values.name, `node-${i}`);
  return {
    i,
    name: nodeCount === 1 ? clusterName : `${clusterName}-${i}`,
    runDir: dir,
    pidFile: join(dir, 'es.pid'),
    url: `http://127.0.0.1:${port + i}`,
    transport: transportPort + i,
  };
}
const nodes = Array.from({ length: nodeCount }, (_, i) => nodeSpec(i));
const urls = nodes.map(n => n.url).join(',');

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

/** Yellow or green with every node joined, asked of the first node that answers. */
async function health(timeoutS) {
  for (const node of nodes) {
    const status = await nodeHealth(node.url, timeoutS);
    if (status) return status;
  }
  return undefined;
}

async function nodeHealth(url, timeoutS) {
  try {
    const res = await fetch(
      `${url}/_cluster/health?wait_for_status=yellow&wait_for_nodes=${nodeCount}&timeout=${timeoutS}s`,
      {
        signal: AbortSignal.timeout((timeoutS + 5) * 1000),
      },
    );
    if (!res.ok) return undefined;
    const body = await res.json();
    if (body.timed_out || body.number_of_nodes < nodeCount) return undefined;
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
  while (nodes.some(n => runningPid(n.pidFile) !== undefined)) {
    if (nodes.every(n => runningPid(n.pidFile) !== undefined) && (await health(5))) {
      console.log('running');
      console.log(urls);
      return;
    }
    if (Date.now() - t0 > 120_000) {
      const up = nodes
        .filter(n => runningPid(n.pidFile) !== undefined)
        .map(n => `${n.name} (pid ${runningPid(n.pidFile)})`);
      throw new Error(
        `${up.join(', ')} running but the ${nodeCount === 1 ? 'node' : 'cluster'} at ${urls} is not healthy; ` +
          `stop it (node scripts/es.mjs stop --name ${values.name}${nodeCount > 1 ? ` --nodes ${nodeCount}` : ''}) and start again`,
      );
    }
    await new Promise(r => setTimeout(r, 1000));
  }
  const jdk = javaHome();
  await download();
  const user = await runUser();
  log(
    `starting ${nodeCount === 1 ? 'Elasticsearch' : `a ${nodeCount}-node Elasticsearch cluster`} ${VERSION} on ${urls} ` +
      `(heap ${values.heap} each, logs in ${nodes[0].runDir}${nodeCount > 1 ? '/..' : ''})`,
  );
  await Promise.all(nodes.map(n => startNode(n, jdk, user)));
  const started = Date.now();
  while (Date.now() - started < 180_000) {
    const status = await health(5);
    if (status) {
      log(`${status} after ${Math.round((Date.now() - started) / 1000)} s`);
      console.log('started');
      console.log(urls);
      return;
    }
    if (nodes.some(n => existsSync(n.pidFile) && runningPid(n.pidFile) === undefined)) break;
    await new Promise(r => setTimeout(r, 1000));
  }
  throw new Error(
    `Elasticsearch on ${urls} did not become healthy; see ${nodes.map(n => join(n.runDir, 'logs', `${clusterName}.log`)).join(', ')}`,
  );
}

function clusterSettings(node) {
  if (nodeCount === 1)
    return ['discovery.type=single-node', `http.port=${node.url.split(':').at(-1)}`, 'transport.port=0'];
  return [
    `node.name=${node.name}`,
    `http.port=${node.url.split(':').at(-1)}`,
    `transport.port=${node.transport}`,
    `discovery.seed_hosts=${nodes.map(n => `127.0.0.1:${n.transport}`).join(',')}`,
    `cluster.initial_master_nodes=${nodes.map(n => n.name).join(',')}`,
  ];
}

async function startNode(node, jdk, user) {
  for (const d of ['data', 'logs', 'tmp']) mkdirSync(join(node.runDir, d), { recursive: true });
  // The node writes its keystore into its config folder: give it its own copy.
  if (!existsSync(join(node.runDir, 'config')))
    cpSync(join(home, 'config'), join(node.runDir, 'config'), { recursive: true });
  rmSync(node.pidFile, { force: true });
  if (user) await $`chown -R ${user.uid}:${user.gid} ${node.runDir}`;
  const env = [
    `ES_JAVA_HOME=${jdk}`,
    `ES_PATH_CONF=${join(node.runDir, 'config')}`,
    `ES_TMPDIR=${join(node.runDir, 'tmp')}`,
    `ES_JAVA_OPTS=-Xms${values.heap} -Xmx${values.heap}`,
  ];
  const settings = [
    ...clusterSettings(node),
    'network.host=127.0.0.1',
    'xpack.security.enabled=false',
    'cluster.routing.allocation.disk.threshold_enabled=false',
    `path.data=${join(node.runDir, 'data')}`,
    `path.logs=${join(node.runDir, 'logs')}`,
    `cluster.name=${clusterName}`,
  ];
  const args = [join(home, 'bin', 'elasticsearch'), '-d', '-p', node.pidFile, ...settings.flatMap(s => ['-E', s])];
  const prefix = user ? ['setpriv', `--reuid=${user.uid}`, `--regid=${user.gid}`, '--clear-groups', '--'] : [];
  try {
    await $`${prefix} env ${env} ${args}`;
  } catch (err) {
    throw new Error(`Elasticsearch node ${node.name} did not start: ${err.stderr || err.stdout || err.message}`.trim());
  }
}

async function stop() {
  await Promise.all(
    nodes.map(n =>
      stopServer(n.pidFile, { timeoutMs: 60_000, log: msg => log(nodeCount === 1 ? msg : `${n.name}: ${msg}`) }),
    ),
  );
}

async function status() {
  if (nodes.every(n => runningPid(n.pidFile) !== undefined) && (await health(2))) {
    console.log(`running ${urls}`);
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
