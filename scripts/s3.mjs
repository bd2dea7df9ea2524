#!/usr/bin/env node
// A real S3-compatible server for tests, CI and local runs: S3Proxy (Apache-2.0, org.gaul:s3proxy on
// Maven Central) over a filesystem or in-memory blobstore, bound to 127.0.0.1.
//
//   node scripts/s3.mjs install|start|stop|status [--name default] [--port 9000] [--heap 128m]
//                       [--store filesystem|transient] [--data DIR]
//
// install  downloads org.gaul:s3proxy:<version>:jar:jar-with-dependencies with mvn into <repo>/.s3proxy/lib
//          (Maven cache in .s3proxy/m2). Nothing else is needed: the jar carries its dependencies.
// start    installs if needed, then runs it with a small heap on 127.0.0.1:<port> (path-style requests,
//          AWS signature v2 or v4 with the fixed test credentials below). Waits until it answers and prints
//          `started` (or `running` when it already was) and then the endpoint URL as the last stdout line.
// stop     SIGTERM to its pid, waits until it is gone. Not running: exits 0.
// status   prints `running <endpoint>` (exit 0) or `stopped` (exit 3); stop and status need only --name.
//
// Environment: QCC_S3PROXY_VERSION (4.1.0), JAVA_HOME (JDK 17+), QCC_S3_PORT, QCC_S3_HEAP,
// QCC_S3_ACCESS_KEY_ID / QCC_S3_SECRET_ACCESS_KEY (test credentials; default qcc-test / qcc-test-secret).
// Point a client at it with AWS_ENDPOINT_URL=<endpoint> and those credentials in AWS_ACCESS_KEY_ID /
// AWS_SECRET_ACCESS_KEY. Run data and logs live in .s3proxy/run/<name>/. Progress goes to stderr.
import { $ } from 'zx';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runningPid, stopServer } from './lib/pid-file.mjs';

const VERSION = process.env.QCC_S3PROXY_VERSION ?? '4.1.0';
const ARTIFACT = `org.gaul:s3proxy:${VERSION}:jar:jar-with-dependencies`;
const ACCESS_KEY = process.env.QCC_S3_ACCESS_KEY_ID ?? 'qcc-test';
const SECRET_KEY = process.env.QCC_S3_SECRET_ACCESS_KEY ?? 'qcc-test-secret';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const root = join(repo, '.s3proxy');
const jar = join(root, 'lib', `s3proxy-${VERSION}-jar-with-dependencies.jar`);

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    name: { type: 'string', default: 'default' },
    port: { type: 'string', default: process.env.QCC_S3_PORT ?? '9000' },
    heap: { type: 'string', default: process.env.QCC_S3_HEAP ?? '128m' },
    store: { type: 'string', default: 'filesystem' },
    data: { type: 'string' },
  },
});
const command = positionals[0];
if (!/^[a-z0-9-]+$/.test(values.name)) usage('--name must be lower-case letters, digits and dashes');
const port = Number(values.port);
if (!Number.isInteger(port) || port <= 0 || port > 65535) usage(`--port must be a TCP port, got ${values.port}`);
if (!['filesystem', 'transient'].includes(values.store))
  usage(`--store must be filesystem or transient, got ${values.store}`);
if (!/^\d+[mg]$/i.test(values.heap)) usage(`--heap must look like 128m or 1g, got ${values.heap}`);
const runDir = join(root, 'run', values.name);
const pidFile = join(runDir, 's3proxy.pid');
const logFile = join(runDir, 's3proxy.log');
const endpointFile = join(runDir, 'endpoint');
const dataDir = resolve(values.data ?? join(runDir, 'data'));
const endpoint = `http://127.0.0.1:${port}`;

$.quiet = true;
const log = msg => process.stderr.write(`s3: ${msg}\n`);

function usage(msg) {
  process.stderr.write(
    `s3: ${msg}\nusage: node scripts/s3.mjs install|start|stop|status [--name n] [--port p] [--heap 128m] [--store filesystem|transient] [--data DIR]\n`,
  );
  process.exit(2);
}

function java() {
  for (const home of [process.env.JAVA_HOME, '/usr/lib/jvm/java-17-openjdk-amd64']) {
    if (home && existsSync(join(home, 'bin', 'java'))) return join(home, 'bin', 'java');
  }
  return 'java';
}

const pidOf = () => runningPid(pidFile);

/** The endpoint a running server of this name was started with (whatever --port says now). */
function runningEndpoint() {
  return existsSync(endpointFile) ? readFileSync(endpointFile, 'utf8').trim() : endpoint;
}

/** S3Proxy answers every request, even an unsigned one, with an S3 error carrying x-amz-request-id. */
async function answers(url = endpoint) {
  try {
    const res = await fetch(`${url}/`, { signal: AbortSignal.timeout(2000) });
    await res.body?.cancel();
    return res.headers.has('x-amz-request-id');
  } catch {
    return false;
  }
}

async function install() {
  if (existsSync(jar)) return;
  try {
    await $`mvn -v`;
  } catch {
    throw new Error('mvn (Apache Maven) is not installed: it downloads S3Proxy from Maven Central');
  }
  const lib = join(root, 'lib');
  const tmp = join(root, `.download-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  log(`downloading ${ARTIFACT} from Maven Central (~55 MB)`);
  try {
    await $`mvn -B -q dependency:copy -Dartifact=${ARTIFACT} -DoutputDirectory=${tmp} -Dmaven.repo.local=${join(root, 'm2')}`;
  } catch (err) {
    throw new Error(`mvn could not fetch ${ARTIFACT}: ${err.stdout || err.stderr || err.message}`.trim());
  }
  mkdirSync(lib, { recursive: true });
  renameSync(join(tmp, `s3proxy-${VERSION}-jar-with-dependencies.jar`), jar);
  rmSync(tmp, { recursive: true, force: true });
  // The jar is now in lib/: keep Maven's plugins cached, not a second 55 MB copy of the artifact.
  rmSync(join(root, 'm2', 'org', 'gaul', 's3proxy'), { recursive: true, force: true });
  log(`installed ${jar}`);
}

function properties() {
  const lines = [
    `s3proxy.endpoint=${endpoint}`,
    's3proxy.authorization=aws-v2-or-v4',
    `s3proxy.identity=${ACCESS_KEY}`,
    `s3proxy.credential=${SECRET_KEY}`,
    `jclouds.provider=${values.store}`,
    // The credentials of the backing store, unused by filesystem and transient but required to be set.
    'jclouds.identity=local',
    'jclouds.credential=local',
  ];
  if (values.store === 'filesystem') lines.push(`jclouds.filesystem.basedir=${dataDir}`);
  return lines.join('\n') + '\n';
}

async function start() {
  await install();
  if (pidOf() !== undefined) {
    const running = runningEndpoint();
    const t0 = Date.now();
    while (!(await answers(running))) {
      if (Date.now() - t0 > 30_000)
        throw new Error(`S3Proxy is running (pid ${pidOf()}) but ${running} does not answer; see ${logFile}`);
      await new Promise(r => setTimeout(r, 500));
    }
    console.log('running');
    console.log(running);
    return;
  }
  if (await answers()) throw new Error(`something else already answers on ${endpoint}: pick another --port`);
  mkdirSync(runDir, { recursive: true });
  if (values.store === 'filesystem') mkdirSync(dataDir, { recursive: true });
  const conf = join(runDir, 's3proxy.conf');
  writeFileSync(conf, properties(), { mode: 0o600 });
  rmSync(pidFile, { force: true });
  writeFileSync(endpointFile, `${endpoint}\n`);
  const out = openSync(logFile, 'a');
  // Small and quick to start: it shares two cores with the tests that use it.
  const jvm = [
    `-Xmx${values.heap}`,
    '-XX:+UseSerialGC',
    '-XX:TieredStopAtLevel=1',
    '-Xss512k',
    '-XX:ActiveProcessorCount=2',
  ];
  log(
    `starting S3Proxy ${VERSION} on ${endpoint} (${values.store} store${values.store === 'filesystem' ? ` in ${dataDir}` : ''}, heap ${values.heap}, log ${logFile})`,
  );
  const child = spawn(java(), [...jvm, '-jar', jar, '--properties', conf], {
    detached: true,
    stdio: ['ignore', out, out],
    env: { ...process.env, LOG_LEVEL: process.env.QCC_S3_LOG_LEVEL ?? 'warn' },
  });
  let exited = false;
  child.on('exit', () => (exited = true));
  writeFileSync(pidFile, `${child.pid}\n`);
  child.unref();
  const t0 = Date.now();
  while (Date.now() - t0 < 90_000) {
    if (await answers()) {
      log(`ready after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      console.log('started');
      console.log(endpoint);
      return;
    }
    if (exited) break;
    await new Promise(r => setTimeout(r, 250));
  }
  if (!exited) process.kill(child.pid, 'SIGTERM');
  rmSync(pidFile, { force: true });
  const tail = existsSync(logFile) ? readFileSync(logFile, 'utf8').split('\n').slice(-15).join('\n') : '';
  throw new Error(`S3Proxy on ${endpoint} did not start; last lines of ${logFile}:\n${tail}`);
}

async function stop() {
  await stopServer(pidFile, { timeoutMs: 30_000, log });
}

async function status() {
  if (pidOf() !== undefined && (await answers(runningEndpoint()))) {
    console.log(`running ${runningEndpoint()}`);
    return;
  }
  console.log('stopped');
  process.exitCode = 3;
}

const commands = { install, start, stop, status };
if (!commands[command]) usage(command ? `unknown command ${command}` : 'a command is required');
try {
  await commands[command]();
} catch (err) {
  process.stderr.write(`s3: ${err.message}\n`);
  process.exit(1);
}
