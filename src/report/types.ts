/** Reporter contract: `(RunRecord, Verdict) → files`, a pure, deterministic function. */
import type { RunRecord } from '../record/index.ts'
import type { Verdict } from '../slo/types.ts'

export interface ReportFile {
  /** File name inside the run folder. */
  name: string
  content: string | Uint8Array
}

export interface ReporterDefinition {
  readonly id: string
  readonly summary: string
  render(record: RunRecord, verdict: Verdict): ReportFile[] | Promise<ReportFile[]>
}
