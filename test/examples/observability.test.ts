/**
 * The observability recipe (examples/observability/telemetry.ts): a journey with a BindID outage
 * becomes OpenTelemetry spans and Prometheus metrics, with no secret in either.
 */
import { trace } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { Registry } from 'prom-client';
import { instrumentBindId } from '../../examples/observability/telemetry.js';
import { MemoryBindIdStore, SessionFeedbackClient } from '../../src/index.js';
import { StoreOutbox } from '../../src/fail-open/index.js';
import { atConfirmPage, bindIdSignIn, pendingAccessToken, submitConfirm, useFlowPerTest } from '../helpers/flow.js';

describe('observability recipe: OpenTelemetry spans and prom-client metrics from the channels', () => {
  const flows = useFlowPerTest({ shareEmulator: true });
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  let registry: Registry;
  let uninstrument: () => void;
  beforeAll(() => {
    trace.setGlobalTracerProvider(provider);
  });
  afterAll(async () => {
    trace.disable();
    await provider.shutdown();
  });
  beforeEach(() => {
    exporter.reset();
    registry = new Registry();
    uninstrument = instrumentBindId({ registry });
  });
  afterEach(() => uninstrument());

  it('N169 records a report that failed while BindID was down, its delivery later, and the sign-ins, with no secret in spans or metrics', async () => {
    const flow = await flows.start({
      router: (emulator) => ({
        failureMode: 'open',
        outbox: new StoreOutbox(new MemoryBindIdStore()),
        outboxWorker: { start: false },
        client: new SessionFeedbackClient({ apiUrl: emulator.apiUrl, clientSecret: emulator.clientSecret, retries: 0 }),
      }),
    });
    const agent = flow.agent();
    const at = await atConfirmPage(agent);
    const token = await pendingAccessToken(agent);
    flow.emulator.setFault('session-feedback', { status: 503 });
    expect((await submitConfirm(agent, at.fields)).status).toBe(303);
    flow.emulator.clearFaults();
    expect(await flow.router?.outboxWorker?.runOnce()).toMatchObject({ delivered: 1 });
    expect((await bindIdSignIn(flow.agent(), 'alice')).status).toBe(303);

    const spans = exporter.getFinishedSpans().map((s) => ({ name: s.name, status: s.status.code, attributes: s.attributes }));
    expect(spans).toEqual([
      { name: 'bindid.token_exchange', status: 0, attributes: { 'bindid.outcome': 'new_user' } },
      {
        name: 'bindid.session_feedback',
        status: 2,
        attributes: { 'bindid.report.type': 'authentication_performed', 'bindid.attempts': 1, 'http.response.status_code': 503, 'error.type': 'ERR_BINDID_UNAVAILABLE' },
      },
      {
        name: 'bindid.session_feedback',
        status: 0,
        attributes: { 'bindid.report.type': 'authentication_performed', 'bindid.attempts': 1, 'http.response.status_code': 200 },
      },
      { name: 'bindid.token_exchange', status: 0, attributes: { 'bindid.outcome': 'new_user' } },
    ]);

    const metrics = await registry.metrics();
    expect(metrics).toContain('bindid_session_feedback_total{type="authentication_performed",outcome="ERR_BINDID_UNAVAILABLE"} 1');
    expect(metrics).toContain('bindid_session_feedback_total{type="authentication_performed",outcome="accepted"} 1');
    expect(metrics).toContain('bindid_token_exchange_total{outcome="new_user"} 2');
    expect(metrics).toContain('bindid_outbox_events_total{event="enqueued"} 1');
    expect(metrics).toContain('bindid_outbox_events_total{event="delivered"} 1');
    for (const secret of [token, flow.emulator.clientSecret, at.fields.password as string]) {
      expect(metrics.includes(secret) || JSON.stringify(spans).includes(secret)).toBe(false);
    }
  });

  it('stops recording once unsubscribed', async () => {
    uninstrument();
    const flow = await flows.start();
    expect((await bindIdSignIn(flow.agent(), 'alice')).status).toBe(303);
    expect(exporter.getFinishedSpans()).toEqual([]);
    expect(await registry.metrics()).not.toMatch(/bindid_token_exchange_total\{/);
  });
});
