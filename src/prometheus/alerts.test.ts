import { describe, expect, it } from 'vitest'
import type { FaultWindow } from '../record/index.ts'
import { AlertWatcher, detections } from './alerts.ts'
import type { ApiAlert } from './server.ts'

const T0 = 1_000_000
const firing = (alertname: string, activeAtMs: number, window = '5s'): ApiAlert => ({
  labels: {
    alertname,
    slo: 'M3',
    severity: alertname.endsWith('page') ? 'page' : 'ticket',
    sloth_slo: 'm3',
    sloth_window: window,
  },
  annotations: {},
  state: 'firing',
  activeAt: new Date(T0 + activeAtMs).toISOString(),
})
const fault: FaultWindow = {
  index: 1,
  fault: 'bad-key-rotation',
  params: {},
  injectedAt: 20_000,
  revertedAt: 40_000,
  status: 'reverted',
}

describe('AlertWatcher', () => {
  it('reports a firing at its activeAt and a resolution at the poll that no longer sees it', () => {
    const w = new AlertWatcher(T0)
    expect(w.update([], T0 + 1000)).toEqual([])
    expect(w.update([{ ...firing('A_page', 23_400), state: 'pending' }], T0 + 23_500)).toEqual([])
    expect(w.update([firing('A_page', 23_400)], T0 + 24_000)).toMatchObject([
      { alertname: 'A_page', state: 'firing', at: 23_400 },
    ])
    // the same alert again, even with another short window matching: no new transition
    expect(w.update([firing('A_page', 23_400, '30s')], T0 + 25_000)).toEqual([])
    expect(w.update([], T0 + 45_000)).toMatchObject([{ alertname: 'A_page', state: 'resolved', at: 45_000 }])
    expect(w.transitions.map((t) => t.state)).toEqual(['firing', 'resolved'])
  })
})

describe('detections', () => {
  it('gives time to detect after injection and time to resolve after revert', () => {
    const w = new AlertWatcher(T0)
    w.update([firing('A_page', 23_400)], T0 + 24_000)
    w.update([], T0 + 45_000)
    expect(detections(w.transitions, [fault], 60_000, () => 30_000)).toEqual([
      {
        alertname: 'A_page',
        slo: 'M3',
        severity: 'page',
        firedAt: 23_400,
        resolvedAt: 45_000,
        faultIndex: 1,
        fault: 'bad-key-rotation',
        timeToDetectSeconds: 3.4,
        timeToResolveSeconds: 5,
        falseAlarm: false,
      },
    ])
  })

  it('calls a firing outside every fault window (plus the grace) a false alarm', () => {
    const w = new AlertWatcher(T0)
    w.update([firing('A_page', 5_000)], T0 + 5_500)
    w.update([], T0 + 9_000)
    w.update([firing('A_ticket', 75_000)], T0 + 75_500)
    const d = detections(w.transitions, [fault], 80_000, () => 30_000)
    expect(d.map((x) => [x.alertname, x.falseAlarm])).toEqual([
      ['A_page', true],
      ['A_ticket', true],
    ])
    expect(detections(w.transitions, [fault], 80_000, () => 40_000).map((x) => x.falseAlarm)).toEqual([true, false])
  })
})
