/**
 * The containers runtime (`--runtime containers`): the same components as
 * the process runtime, from the same plan, each in its own container of the
 * project image (`oauth-gameday:local`, or OAUTH_GAMEDAY_IMAGE) through
 * testcontainers. Containers share the host network and bind 127.0.0.1 on
 * the ports the plan chose, so the load and the probes see exactly the URLs
 * the process runtime gives them, and no traffic ever leaves loopback (no
 * bridge, no published ports, no 172.x addresses).
 *
 * Every container is labelled `org.oauth-gameday.component`, its output is
 * captured as it runs (container logs vanish with the container), and all of
 * them are removed on stop, on a failed start, on abort, and, as a last
 * resort, when the process exits.
 */
import { spawnSync } from 'node:child_process'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Readable } from 'node:stream'
import type { StartedTestContainer } from 'testcontainers'

/** testcontainers costs about half a second to load: only runs on this runtime pay for it. */
const tc = () => import('testcontainers')
import { GamedayError } from '../errors.ts'
import type { Logger } from '../log.ts'
import type { StackConfig } from '../scenario/schema.ts'
import { maskSecrets } from '../util/secrets.ts'
import { type ComponentPlan, planStack } from './plan.ts'
import { buildTargets, type StartedComponent, waitHealthy } from './targets.ts'
import type { ComponentExit, RuntimeDefinition, RuntimeStartOptions, StartedStack } from './types.ts'

/** The image every component runs in. */
export const DEFAULT_IMAGE = 'oauth-gameday:local'
/** Label on every container this runtime starts (value: the component name). */
export const COMPONENT_LABEL = 'org.oauth-gameday.component'
/** Label holding the id of the stack a container belongs to. */
export const STACK_LABEL = 'org.oauth-gameday.stack'

const LOG_LIMIT = 256 * 1024
// Creating a container copies the image's file system on storage drivers
// without copy-on-write (vfs in CI), which takes tens of seconds on a busy host.
const START_TIMEOUT_MS = Number(process.env.OAUTH_GAMEDAY_CONTAINER_START_TIMEOUT_MS) || 180_000
const STOP_TIMEOUT_MS = 5_000

interface RunningContainer {
  plan: ComponentPlan
  container: StartedTestContainer
  url: string
}

interface LogBuffer {
  chunks: string[]
  bytes: number
}

/** Containers alive in this process, removed synchronously if it exits without stopping them. */
const live = new Map<string, string>()
let exitHookInstalled = false

function installExitHook(): void {
  if (exitHookInstalled) return
  exitHookInstalled = true
  process.once('exit', () => {
    if (live.size === 0) return
    spawnSync('docker', ['rm', '-f', ...live.keys()], { stdio: 'ignore', timeout: 10_000 })
  })
}

function append(buf: LogBuffer, chunk: string): void {
  buf.chunks.push(chunk)
  buf.bytes += chunk.length
  while (buf.bytes > LOG_LIMIT && buf.chunks.length > 1) buf.bytes -= buf.chunks.shift()!.length
}

/** The image name from OAUTH_GAMEDAY_IMAGE, or the default. */
export function imageName(env: NodeJS.ProcessEnv = process.env): string {
  return env.OAUTH_GAMEDAY_IMAGE || DEFAULT_IMAGE
}

/** Fail early, with what to do, when Docker or the image is missing. */
async function preflight(image: string): Promise<void> {
  const { getContainerRuntimeClient, ImageName } = await tc()
  let client: Awaited<ReturnType<typeof getContainerRuntimeClient>>
  try {
    client = await getContainerRuntimeClient()
  } catch (cause) {
    throw new GamedayError(
      'ERR_ENV_DOCKER_UNAVAILABLE',
      `no Docker engine answered (${(cause as Error).message.split('\n')[0]})`,
      {
        cause,
        hint: "is Docker running? 'docker info' must succeed (CI: scripts/ci/start-docker.sh)",
      },
    )
  }
  if (!(await client.image.exists(ImageName.fromString(image)))) {
    throw new GamedayError('ERR_RUNTIME_START_FAILED', `image ${image} is not built`, {
      hint: 'build it: npm run build && scripts/ci/build-images.sh (offline; docs/docker.md has the registry way); or set OAUTH_GAMEDAY_IMAGE',
    })
  }
}

async function startContainer(
  plan: ComponentPlan,
  image: string,
  stackId: string,
  logs: LogBuffer,
  log: Logger,
): Promise<RunningContainer> {
  const { GenericContainer, Wait } = await tc()
  const container = await new GenericContainer(image)
    .withNetworkMode('host')
    // child.ts takes the component spec from the environment (as in the process
    // runtime), so the two runtimes start byte-for-byte the same configuration.
    .withEntrypoint(['node', 'dist/child.js'])
    .withCommand([])
    .withEnvironment({
      OAUTH_GAMEDAY_COMPONENT: JSON.stringify(plan),
      OAUTH_GAMEDAY_WATCH_STDIN: '0',
      LOG_LEVEL: process.env.COMPONENT_LOG_LEVEL ?? 'warn',
      GAMEDAY_HEALTH_PORT: String(plan.port),
    })
    .withLabels({ [COMPONENT_LABEL]: plan.name, [STACK_LABEL]: stackId })
    .withLogConsumer((stream: Readable) => {
      stream.setEncoding('utf8')
      stream.on('data', (d: string) => append(logs, d))
      stream.on('error', () => {})
    })
    // The component prints its base URL as the first stdout line once it listens.
    .withWaitStrategy(Wait.forLogMessage(/https?:\/\/[^\s]+:\d+/))
    .withStartupTimeout(START_TIMEOUT_MS)
    .start()
  live.set(container.getId(), plan.name)
  const url = `http://${plan.host}:${plan.port}`
  log.debug({ component: plan.name, url, container: container.getId().slice(0, 12) }, 'component.started')
  return { plan, container, url }
}

async function stopContainer(c: RunningContainer): Promise<void> {
  try {
    await c.container.stop({ timeout: STOP_TIMEOUT_MS, remove: true })
  } catch {
    // already gone, or the engine is gone: the exit hook and `docker rm -f` below cover it
    spawnSync('docker', ['rm', '-f', c.container.getId()], { stdio: 'ignore', timeout: 10_000 })
  }
  live.delete(c.container.getId())
}

/** Wait for /healthz, but give up at once, with the output, when the container dies. */
async function healthyOrExited(c: RunningContainer, logs: LogBuffer, signal: AbortSignal): Promise<void> {
  const client = await (await tc()).getContainerRuntimeClient()
  const watch = new AbortController()
  let done = false
  const exited = (
    client.container.getById(c.container.getId()).wait({ abortSignal: watch.signal }) as Promise<{ StatusCode: number }>
  ).then(
    (r) => {
      if (done) return
      const tail = maskSecrets(logs.chunks.join('')).split('\n').slice(-15).join('\n')
      throw new GamedayError(
        'ERR_RUNTIME_START_FAILED',
        `${c.plan.name}: container exited with code ${r.StatusCode} before it was healthy:\n${tail}`,
        {
          hint: 'read the component output above',
        },
      )
    },
    () => new Promise<never>(() => {}),
  )
  // The watch outlives the race when the container is healthy: never let it reject unobserved.
  exited.catch(() => {})
  try {
    await Promise.race([waitHealthy(c.plan.name, c.url, START_TIMEOUT_MS, signal), exited])
  } finally {
    done = true
    watch.abort()
  }
}

/**
 * Exits of the containers that nobody asked for (`docker wait` on each),
 * delivered to whoever watches: the runner's crash detection. A `docker kill`
 * is exit code 137; the signal is not known from the exit status, so it is null.
 */
async function containerExitWatcher(
  running: readonly RunningContainer[],
  stopping: () => boolean,
): Promise<{ watch: NonNullable<StartedStack['watch']>; close(): void }> {
  const client = await (await tc()).getContainerRuntimeClient()
  const closing = new AbortController()
  const seen: ComponentExit[] = []
  const listeners = new Set<(e: ComponentExit) => void>()
  for (const c of running) {
    const id = c.container.getId()
    ;(client.container.getById(id).wait({ abortSignal: closing.signal }) as Promise<{ StatusCode: number }>).then(
      (r) => {
        if (stopping() || closing.signal.aborted) return
        const e: ComponentExit = {
          component: c.plan.name,
          containerId: id,
          code: r.StatusCode,
          signal: null,
          time: Date.now(),
        }
        seen.push(e)
        for (const l of listeners) l(e)
      },
      () => undefined, // the watch was closed, or the engine went away (the health watchdog still sees the component)
    )
  }
  return {
    watch: (listener) => {
      listeners.add(listener)
      for (const e of seen) listener(e)
      return () => listeners.delete(listener)
    },
    close: () => closing.abort(),
  }
}

const WAVE: Record<ComponentPlan['role'], number> = { as: 0, proxy: 1, cdn: 1, rs: 2 }

/** Components grouped by start order: the AS, then what fronts it, then the resource servers. */
export function waves(components: readonly ComponentPlan[]): ComponentPlan[][] {
  const out: ComponentPlan[][] = []
  for (const c of components) (out[WAVE[c.role]] ??= []).push(c)
  return out.filter((w) => w.length > 0)
}

/**
 * Start a stack as containers on the host network.
 *
 * @example
 * ```ts
 * await using stack = await containersRuntime.start(scenario.stack, { signal, log, seed: 1 })
 * console.log(stack.targets.issuer) // http://127.0.0.1:<port>
 * ```
 */
async function start(stack: StackConfig, options: RuntimeStartOptions): Promise<StartedStack> {
  options.signal.throwIfAborted()
  const image = imageName()
  await preflight(image)
  installExitHook()
  const plan = await planStack(stack, { host: '127.0.0.1' })
  const stackId = `${process.pid}-${Date.now().toString(36)}`
  const buffers = new Map<string, LogBuffer>(plan.components.map((c) => [c.name, { chunks: [], bytes: 0 }]))
  const running: RunningContainer[] = []
  let stopped: Promise<void> | undefined
  let exits: Awaited<ReturnType<typeof containerExitWatcher>> | undefined
  const stop = (): Promise<void> => {
    stopped ??= Promise.all(running.map(stopContainer)).then(() => {
      exits?.close()
      options.signal.removeEventListener('abort', onAbort)
    })
    return stopped
  }
  const onAbort = () => void stop()
  const logs = async (): Promise<Record<string, string>> =>
    Object.fromEntries([...buffers].map(([name, b]) => [name, maskSecrets(b.chunks.join(''))]))

  try {
    // In dependency waves: a resource server discovers its AS when it starts
    // (a few retries, not minutes), and creating a container can take longer
    // than that on a busy host. Within a wave, containers start together.
    for (const wave of waves(plan.components)) {
      options.signal.throwIfAborted()
      const results = await Promise.allSettled(
        wave.map((c) => startContainer(c, image, stackId, buffers.get(c.name)!, options.log)),
      )
      for (const r of results) if (r.status === 'fulfilled') running.push(r.value)
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')
      if (failed) {
        const e = failed.reason as Error
        throw e instanceof GamedayError
          ? e
          : new GamedayError('ERR_RUNTIME_START_FAILED', `a container did not start: ${e.message.split('\n')[0]}`, {
              cause: e,
              hint: 'the component logs are in the run folder (logs/); is the port free?',
            })
      }
      const names = new Set(wave.map((c) => c.name))
      await Promise.all(
        running
          .filter((c) => names.has(c.plan.name))
          .map((c) => healthyOrExited(c, buffers.get(c.plan.name)!, options.signal)),
      )
    }
    options.signal.throwIfAborted()
    options.signal.addEventListener('abort', onAbort, { once: true })
    const started: StartedComponent[] = running.map((c) => ({
      name: c.plan.name,
      url: c.url,
      adminToken: c.plan.adminToken,
    }))
    const targets = await buildTargets(stack, plan, started, options.signal)
    options.log.info({ runtime: 'containers', image, components: running.length }, 'stack.started')
    exits = await containerExitWatcher(running, () => stopped !== undefined)
    return {
      targets,
      stop,
      logs,
      watch: exits.watch,
      components: () => running.map((c) => ({ component: c.plan.name, containerId: c.container.getId() })),
      health: () => running.map((c) => ({ component: c.plan.name, url: `${c.url}/healthz` })),
      [Symbol.asyncDispose]: stop,
    }
  } catch (err) {
    if (options.runDir) await writeLogs(options.runDir, await logs()).catch(() => {})
    await stop()
    throw err
  }
}

/** Component logs into `<runDir>/logs/<name>.log` (already masked). */
export async function writeLogs(runDir: string, logs: Record<string, string>): Promise<void> {
  const dir = join(runDir, 'logs')
  await mkdir(dir, { recursive: true })
  for (const [name, text] of Object.entries(logs)) await writeFile(join(dir, `${name}.log`), text)
}

export const containersRuntime: RuntimeDefinition = {
  id: 'containers',
  summary:
    'reference components as Docker containers (image oauth-gameday:local) on the host network, bound to 127.0.0.1',
  start,
}
