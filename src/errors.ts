/**
 * Every error the harness raises on purpose has a stable code, a short
 * lower-case message that quotes the offending value, and a hint that says
 * what to do. Only `src/cli/main.ts` catches everything.
 *
 * The table below is the single source: `docs/errors.md` is generated from it
 * (`npm run gen`) and a test keeps the two in step.
 */

/** Exit codes with k6's meanings. */
export const ExitCode = {
  ok: 0,
  /** A bug: an error nobody raised on purpose. */
  internal: 1,
  /** An SLO broke (or ended the run with abortOnFail). */
  sloBreached: 99,
  /** The harness failed mid-run: a component it started died, a target became unreachable, an engine error. */
  harnessErrored: 103,
  /** The plan cannot run: invalid scenario or flags, a missing tool. */
  invalidInput: 104,
  /** Interrupted by SIGINT/SIGTERM. */
  aborted: 105,
  /** The steady-state gate found the system deviating before any fault. */
  steadyStateDeviated: 108,
} as const

interface CodeInfo {
  readonly meaning: string
  readonly fix: string
  readonly exit: (typeof ExitCode)[keyof typeof ExitCode]
}

/** The closed registry of error codes. Add a code here, then run `npm run gen`. */
export const errorCodes = {
  ERR_SCENARIO_NOT_FOUND: {
    meaning: 'a scenario path does not exist or holds no .yaml file',
    fix: 'check the path; `oauth-gameday list scenarios` shows what is shipped',
    exit: 104,
  },
  ERR_SCENARIO_PARSE: {
    meaning: 'a scenario file is not valid YAML',
    fix: 'fix the YAML syntax at the line and column shown',
    exit: 104,
  },
  ERR_SCENARIO_INVALID: {
    meaning: 'a scenario breaks the schema or a cross-field rule',
    fix: 'fix every field listed (file:line:col); `oauth-gameday validate` re-checks without running',
    exit: 104,
  },
  ERR_SCENARIO_SECRET_UNRESOLVED: {
    meaning: 'a secret reference ({ env } or { file }) could not be read',
    fix: 'export the variable or create the file the reference names',
    exit: 104,
  },
  ERR_CONFIG_INVALID: {
    meaning: 'a mock server configuration (file or options) is invalid',
    fix: 'fix the keys listed; every key has a default, unknown keys are refused',
    exit: 104,
  },
  ERR_RUN_NOT_FOUND: {
    meaning: 'a recorded run (run.json) that compare or report needs is not there',
    fix: 'give a run.json, a run folder, or a folder of runs (reports/<scenario>)',
    exit: 104,
  },
  ERR_COMPARE_MISMATCH: {
    meaning: 'compare --strict was given runs of different scenarios, objectives or stacks',
    fix: 'compare runs of the same plan, or drop --strict to compare with warnings',
    exit: 104,
  },
  ERR_CLI_USAGE: {
    meaning: 'a command, flag or argument is unknown or malformed',
    fix: 'run the command with --help',
    exit: 104,
  },
  ERR_TARGET_NOT_LOOPBACK: {
    meaning: 'a load or fault target is not a loopback address and was not named as external',
    fix: 'use 127.0.0.1, localhost or ::1, or name the URL explicitly as an external component',
    exit: 104,
  },
  ERR_TARGET_UNREACHABLE: {
    meaning: 'an authorization server or resource server of the stack does not answer at its URL',
    fix: "start it or fix its URL in the scenario's stack; `oauth-gameday serve as|rs` starts a reference one",
    exit: 104,
  },
  ERR_CAPABILITY_MISSING: {
    meaning: 'a fault or probe needs control the stack does not give (AS control, CDN, fault proxy)',
    fix: 'use the reference component, add a jwksCdn/faultProxy to the stack, or drop the fault',
    exit: 104,
  },
  ERR_UNKNOWN_UNIT: {
    meaning: 'a fault, probe, engine, runtime, reporter or SLO id is not registered',
    fix: 'run `oauth-gameday list` for the registered ids',
    exit: 104,
  },
  ERR_ENV_K6_NOT_FOUND: {
    meaning: 'the k6 engine was chosen but no k6 binary was found',
    fix: 'install k6 (https://grafana.com/docs/k6/latest/set-up/install-k6/) or set K6_PATH; or use --engine embedded',
    exit: 104,
  },
  ERR_ENV_PROMETHEUS_NOT_FOUND: {
    meaning: '`run --prometheus` (or a rules test) needs Prometheus and no prometheus/promtool binary was found',
    fix: "install Debian's prometheus (`apt-get install prometheus`, which brings promtool) or set PROMETHEUS_BIN / PROMTOOL_BIN",
    exit: 104,
  },
  ERR_ENV_DOCKER_UNAVAILABLE: {
    meaning: 'the containers runtime needs a Docker engine and none answered',
    fix: 'is Docker running? `docker info` must succeed',
    exit: 104,
  },
  ERR_ENV_CHROMIUM_NOT_FOUND: {
    meaning: 'a browser flow needs Chromium and none was found',
    fix: "install Debian's chromium (`apt-get install chromium`) or set CHROMIUM_PATH",
    exit: 104,
  },
  ERR_RUNTIME_START_FAILED: {
    meaning: 'a component of the stack did not start',
    fix: 'read the component log in the run folder; check that the port is free',
    exit: 103,
  },
  ERR_PROMETHEUS_FAILED: {
    meaning: 'the Prometheus of `run --prometheus` did not start, or died during the run',
    fix: 'read the Prometheus output in the message; `promtool check config` the generated config; is the loopback port range free?',
    exit: 103,
  },
  ERR_RUNTIME_HEALTH_TIMEOUT: {
    meaning: 'a component started but its health check did not pass in time',
    fix: 'check the component log; raise the start timeout on a slow machine',
    exit: 103,
  },
  ERR_PREFLIGHT_INCOMPATIBLE: {
    meaning: 'a resource server cannot accept the tokens this AS issues (typ, audience, issuer)',
    fix: 'align accessTokenTyp / audience between the AS config and the RS',
    exit: 104,
  },
  ERR_CONTROL_REQUEST_FAILED: {
    meaning: 'a call to a control API (mock-as chaos, CDN, fault proxy) failed',
    fix: 'check that the component is a reference one and is running; read its log',
    exit: 103,
  },
  ERR_FAULT_INJECT_FAILED: {
    meaning: 'a fault could not be injected',
    fix: 'read the cause; the run was rolled back',
    exit: 103,
  },
  ERR_FAULT_REVERT_FAILED: {
    meaning: 'a fault could not be reverted',
    fix: 'the component may still misbehave: restart it or call its reset endpoint',
    exit: 103,
  },
  ERR_PROBE_FAILED: {
    meaning: 'a probe could not take its measurement',
    fix: 'read the cause; the probe result is marked as failed in the report',
    exit: 103,
  },
  ERR_LOAD_ENGINE_FAILED: {
    meaning: 'the load engine failed while driving traffic',
    fix: 'read the cause; lower the rate or maxVUs on a small machine',
    exit: 103,
  },
  ERR_K6_FAILED: {
    meaning: 'k6 exited with an error or wrote output that could not be read',
    fix: "rerun the script in the run folder with `k6 run` to see k6's own message",
    exit: 103,
  },
  ERR_BROWSER_FAILED: {
    meaning: 'the browser could not be started or driven',
    fix: 'check that Chromium starts: `chromium --headless --no-sandbox --dump-dom about:blank`',
    exit: 103,
  },
  ERR_RECORD_INVALID: {
    meaning: 'a run.json does not match the run record schema',
    fix: 'pass a run.json written by this version of oauth-gameday',
    exit: 104,
  },
  ERR_RUN_ABORTED: {
    meaning: 'the run was interrupted by a signal or a timeout',
    fix: 'the partial report is in the run folder, marked interrupted',
    exit: 105,
  },
  ERR_COMPONENT_EXITED: {
    meaning: 'a component the harness started (mock-as, a mock RS, the CDN, the fault proxy) exited during the run',
    fix: 'read its log in the run folder (logs/<component>.log); the run ended as errored, its reports are written',
    exit: 103,
  },
  ERR_COMPONENT_UNRESPONSIVE: {
    meaning:
      'a component the harness started stopped answering its health route (5 checks in a row, 1 s apart) during the run, outside any fault that makes it unavailable on purpose',
    fix: 'read its log in the run folder (logs/<component>.log); a fault that stalls a component on purpose must declare it (makesUnavailable)',
    exit: 103,
  },
  ERR_TARGET_LOST: {
    meaning:
      'an external authorization server or resource server that answered at preflight stopped answering during the run (5 checks in a row, 1 s apart)',
    fix: 'check that the target is still running and reachable at its URL; the run ended as errored, not as an SLO breach',
    exit: 103,
  },
} as const satisfies Record<string, CodeInfo>

/** A stable error code. */
export type ErrorCode = keyof typeof errorCodes

/**
 * Base class of every error the harness raises on purpose.
 *
 * @example
 * ```ts
 * throw new GamedayError('ERR_CLI_USAGE', 'unknown flag "--engin"', { hint: 'did you mean --engine?' })
 * ```
 */
export class GamedayError extends Error {
  readonly code: ErrorCode
  readonly hint: string
  /** Extra structured detail (for example every validation issue). */
  readonly details: readonly string[]

  constructor(
    code: ErrorCode,
    message: string,
    options: { hint?: string; cause?: unknown; details?: readonly string[] } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'GamedayError'
    this.code = code
    this.hint = options.hint ?? errorCodes[code].fix
    this.details = options.details ?? []
  }

  /** The process exit code this error maps to (k6's meanings). */
  get exitCode(): number {
    return errorCodes[this.code].exit
  }
}

/** True when `err` is a GamedayError, optionally with the given code. */
export function isGamedayError(err: unknown, code?: ErrorCode): err is GamedayError {
  return err instanceof GamedayError && (code === undefined || err.code === code)
}
