/**
 * The external runtime starts nothing: every component is yours, named by
 * URL in the scenario (`authorizationServer.external`, `resourceServers[].url`),
 * for instance the docker-compose stack or a staging deployment on loopback.
 * A stack that still asks for a reference component is refused with the
 * component's name, so nothing starts behind the user's back.
 */
import { GamedayError } from '../errors.ts'
import type { StackConfig } from '../scenario/schema.ts'
import { planStack } from './plan.ts'
import { buildTargets } from './targets.ts'
import type { RuntimeDefinition, RuntimeStartOptions, StartedStack } from './types.ts'

async function start(stack: StackConfig, options: RuntimeStartOptions): Promise<StartedStack> {
  const plan = await planStack(stack)
  if (plan.components.length > 0) {
    throw new GamedayError(
      'ERR_SCENARIO_INVALID',
      `--runtime external starts nothing, but the stack asks for reference components: ${plan.components.map((c) => c.name).join(', ')}`,
      {
        hint: 'give authorizationServer.external and a url for every resource server, drop jwksCdn/faultProxy, or use --runtime process',
      },
    )
  }
  const targets = await buildTargets(stack, plan, [], options.signal)
  const stop = async () => undefined
  return { targets, stop, logs: async () => ({}), [Symbol.asyncDispose]: stop }
}

export const externalRuntime: RuntimeDefinition = {
  id: 'external',
  summary: 'starts nothing: the AS and every RS are yours, named by URL in the scenario',
  start,
}
