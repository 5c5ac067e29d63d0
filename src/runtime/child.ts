/**
 * Entry point of one reference component started by a runtime as its own
 * process (or container). The component spec comes in the environment
 * variable OAUTH_GAMEDAY_COMPONENT (JSON of a ComponentPlan), never on the
 * command line, so no secret shows in `ps`.
 *
 * Protocol: stdout line 1 is the component's base URL, line 2 its admin
 * token; it stops on SIGTERM, SIGINT, or when its parent closes stdin (so a
 * killed harness never leaves servers behind).
 */
import type { ComponentPlan } from './plan.ts'

interface Served {
  url: string
  adminToken: string
  close(): Promise<void>
}

async function serve(plan: ComponentPlan): Promise<Served> {
  const common = { port: plan.port, host: plan.host, adminToken: plan.adminToken }
  switch (plan.role) {
    case 'as': {
      const { serveAs } = await import('../../mock-as/main.ts')
      return await serveAs({ ...common, config: plan.options.config as object })
    }
    case 'rs': {
      const { serveRs } = await import('../../mock-rs/main.ts')
      return await serveRs({ ...plan.options, ...common } as Parameters<typeof serveRs>[0])
    }
    case 'cdn': {
      const { serveCdn } = await import('../../jwks-cdn/main.ts')
      return await serveCdn({ ...plan.options, ...common } as Parameters<typeof serveCdn>[0])
    }
    case 'proxy': {
      const { serveProxy } = await import('../../fault-proxy/main.ts')
      return await serveProxy({ ...plan.options, ...common } as Parameters<typeof serveProxy>[0])
    }
  }
}

async function main(): Promise<void> {
  const raw = process.env.OAUTH_GAMEDAY_COMPONENT
  if (!raw) {
    process.stderr.write('child: OAUTH_GAMEDAY_COMPONENT is not set\n')
    process.exit(104)
  }
  delete process.env.OAUTH_GAMEDAY_COMPONENT
  const plan = JSON.parse(raw) as ComponentPlan
  const served = await serve(plan)
  process.stdout.write(`${served.url}\n${served.adminToken}\n`)
  let closing = false
  const stop = () => {
    if (closing) return
    closing = true
    const force = setTimeout(() => process.exit(0), 3000)
    force.unref()
    served.close().then(
      () => process.exit(0),
      () => process.exit(1),
    )
  }
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
  if (process.env.OAUTH_GAMEDAY_WATCH_STDIN !== '0') {
    process.stdin.on('end', stop)
    process.stdin.on('error', stop)
    process.stdin.resume()
  }
}

main().catch((err: unknown) => {
  const e = err as { code?: string; message?: string; stack?: string }
  process.stderr.write(
    `component.failed ${e.code ?? ''} ${e.message ?? String(err)}\n${e.code ? '' : (e.stack ?? '')}\n`,
  )
  process.exit(1)
})
