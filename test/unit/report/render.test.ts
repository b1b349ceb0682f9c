import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { loadDataConverter } from '@temporalio/common/lib/internal-non-workflow';
import { msNumberToTs } from '@temporalio/common/lib/time';
import type { temporal } from '@temporalio/proto';
import { Keyring } from '../../../src/security/codec/keyring';
import { encryptingDataConverter } from '../../../src/security/codec';
import { decodeRun, HistoryDecodeError } from '../../../src/report/history';
import { buildReport } from '../../../src/report/model';
import { renderHtml } from '../../../src/report/html';
import { renderText } from '../../../src/report/text';
import { auditRecord, input, observationAt, rolledBackHistory, t } from './fixture';

const LINK = 'http://127.0.0.1:8233/namespaces/default/workflows/x';

test('the page is self-contained: chart with both groups, timeline, plan, audit; text from the history is escaped', async () => {
  const { history } = await rolledBackHistory();
  history.runs[0]!.calls.push({
    type: 'recordAudit',
    scheduledAt: t(3),
    state: 'completed',
    input: auditRecord(
      30,
      t(3),
      'action',
      'watch paused',
      { action: 'pause', manual: true, role: 'sre' },
      { actor: '<img src=x onerror=alert(1)>' },
    ),
  });
  const html = renderHtml(buildReport({ history }), LINK, new Date(t(100)));
  expect(html).not.toMatch(/<script|<link|<img|@import|url\(/i);
  expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
  const svg = /<div id="signals">[\s\S]*?<svg[\s\S]*?<\/svg>/.exec(html)?.[0];
  expect(svg).toBeDefined();
  expect(svg).toContain('error-rate: errors / requests');
  expect(svg).toContain('first breach');
  expect(svg!.match(/<polyline[^>]*stroke="#d1495b"/g)!.length).toBeGreaterThanOrEqual(2);
  expect(svg!.match(/<polyline[^>]*stroke="#4a6fa5"/g)!.length).toBeGreaterThanOrEqual(2);
  expect(html).toMatch(/<div id="timeline">\s*<table class="timeline">/);
  expect(html).toContain('checkout 2.0.0 deployed to production (replacing 1.9.0) by ci-bot');
  expect(html).toContain('drain-canary');
  expect(html).toContain(`<a href="${LINK}">`);
});

test('the text report has every section, the decision and its evidence', async () => {
  const { history } = await rolledBackHistory();
  const text = renderText(buildReport({ history }), LINK);
  for (const section of [
    'Key moments',
    'Timeline',
    'Signals',
    'Decision and evidence',
    'Plan',
    'Approvals',
    'Audit trail',
  ])
    expect(text).toMatch(new RegExp(`^${section}$`, 'm'));
  expect(text).toMatch(/^outcome +rolled-back: rolled back to 1\.9\.0/m);
  expect(text).toContain(
    'error-rate: regressed (confirmed), over 1000× the evidence needed — regression confirmed',
  );
  expect(text).toMatch(
    /^ {2}0 drain-canary +shift-traffic +done +2026-03-01 12:00:\d\dZ +1s +canary weight 0%$/m,
  );
});

describe('decoding history events', () => {
  const plain = loadDataConverter();
  const payloads = (...values: unknown[]): { payloads: Payload[] } => ({
    payloads: values.map((v) => defaultPayloadConverter.toPayload(v)),
  });
  const time = (iso: string) => msNumberToTs(Date.parse(iso));
  /** Event ids are Longs on the wire; plain numbers read the same for what the decoder does with them. */
  const asEvents = (events: object[]) => events as temporal.api.history.v1.IHistoryEvent[];

  test('activities the report reads are decoded; operator requests (tokens) never are', async () => {
    const events = [
      {
        eventId: 1,
        eventTime: time(t(0)),
        workflowExecutionStartedEventAttributes: { input: payloads(input), continuedExecutionRunId: 'run-0' },
      },
      {
        eventId: 5,
        eventTime: time(t(1)),
        activityTaskScheduledEventAttributes: {
          activityType: { name: 'evaluateHealth' },
          input: payloads({ index: 0 }),
        },
      },
      {
        eventId: 6,
        eventTime: time(t(1)),
        activityTaskStartedEventAttributes: { scheduledEventId: 5, attempt: 1 },
      },
      {
        eventId: 7,
        eventTime: time(t(2)),
        activityTaskCompletedEventAttributes: { scheduledEventId: 5, result: payloads(observationAt(0)) },
      },
      {
        eventId: 8,
        eventTime: time(t(3)),
        activityTaskScheduledEventAttributes: {
          activityType: { name: 'authorizeAction' },
          input: payloads({ request: { token: 'eyJ.secret.jws' } }),
        },
      },
      {
        eventId: 9,
        eventTime: time(t(4)),
        activityTaskCompletedEventAttributes: { scheduledEventId: 8, result: payloads({ authorized: true }) },
      },
    ];
    const { run, previousRunId } = await decodeRun(plain, 'run-1', asEvents(events));
    expect(previousRunId).toBe('run-0');
    expect(run.input.deployment.deploymentId).toBe('build-481');
    expect(run.calls[0]).toEqual({
      type: 'evaluateHealth',
      scheduledAt: t(1),
      startedAt: t(1),
      closedAt: t(2),
      attempt: 1,
      state: 'completed',
      input: { index: 0 },
      result: observationAt(0),
    });
    expect(run.calls[1]).toEqual({
      type: 'authorizeAction',
      scheduledAt: t(3),
      closedAt: t(4),
      state: 'completed',
    });
    expect(JSON.stringify(run)).not.toContain('eyJ');
  });

  test('a health read run as a local activity decodes from its marker as the evaluateHealth call it replaces', async () => {
    const markerData = (activityType: string) => ({
      payloads: [
        {
          metadata: { encoding: Buffer.from('json/plain') },
          data: Buffer.from(
            JSON.stringify({
              seq: 4,
              attempt: 2,
              activity_id: '4',
              activity_type: activityType,
              complete_time: { seconds: Date.parse(t(2)) / 1000, nanos: 0 },
              backoff: null,
              original_schedule_time: { seconds: Date.parse(t(1)) / 1000, nanos: 0 },
            }),
          ),
        },
      ],
    });
    const events = [
      {
        eventId: 1,
        eventTime: time(t(0)),
        workflowExecutionStartedEventAttributes: { input: payloads(input) },
      },
      {
        eventId: 5,
        eventTime: time(t(2)),
        markerRecordedEventAttributes: {
          markerName: 'core_local_activity',
          details: {
            data: markerData('readHealthInterval'),
            result: payloads({ index: 3, observation: observationAt(3) }),
          },
        },
      },
      {
        eventId: 6,
        eventTime: time(t(2)),
        markerRecordedEventAttributes: {
          markerName: 'core_patch',
          details: { 'patch-data': payloads({ id: 'local-health-reads', deprecated: false }) },
        },
      },
      {
        eventId: 7,
        eventTime: time(t(3)),
        markerRecordedEventAttributes: {
          markerName: 'core_local_activity',
          details: { data: markerData('somethingElse'), result: payloads({ secret: 'not read' }) },
        },
      },
    ];
    const { run } = await decodeRun(plain, 'run-1', asEvents(events));
    // The patches the run took (a marker's id; this one is only an example).
    expect(run.patches).toEqual(['local-health-reads']);
    expect(run.calls).toEqual([
      {
        type: 'evaluateHealth',
        scheduledAt: t(1),
        startedAt: t(1),
        closedAt: t(2),
        attempt: 2,
        state: 'completed',
        input: { index: 3 },
        result: observationAt(3),
      },
    ]);
  });

  test('an encrypted history decodes with the keyring and says what is missing without it', async () => {
    const keyring = new Keyring([{ id: 'k-1', key: Buffer.alloc(32, 7) }]);
    const encrypting = loadDataConverter(encryptingDataConverter(keyring));
    const encrypted = { payloads: await encrypting.payloadCodecs[0]!.encode(payloads(input).payloads) };
    const events = [
      { eventId: 1, eventTime: time(t(0)), workflowExecutionStartedEventAttributes: { input: encrypted } },
    ];
    const { run } = await decodeRun(encrypting, 'run-1', asEvents(events));
    expect(run.input.policyHash).toBe(input.policyHash);
    await expect(decodeRun(plain, 'run-1', asEvents(events))).rejects.toThrow(HistoryDecodeError);
    await expect(decodeRun(plain, 'run-1', asEvents(events))).rejects.toThrow(
      'encrypted (key id "k-1") and no keyring is configured here: set RIPCORD_CODEC_KEYS',
    );
  });
});
