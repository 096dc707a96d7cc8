/**
 * A recipe: turn express-bindid's `diagnostics_channel` events into OpenTelemetry spans and
 * Prometheus metrics (prom-client). The library depends on neither; this file is the app's. Call
 * `instrumentBindId()` once at start-up, after your OpenTelemetry SDK is set up, and serve
 * `registry.metrics()` on your metrics endpoint. It returns a function that unsubscribes.
 *
 * Spans: `bindid.session_feedback` (one per report, all attempts) and `bindid.token_exchange` (the
 * callback's code exchange). Metrics: reports and their duration by type and outcome, token
 * exchanges by outcome, outbox events, the circuit state, lock-outs by limit. Payloads carry no
 * secret, token or username (docs/observability.md), so nothing here needs redacting.
 */
import diagnostics from 'node:diagnostics_channel';
import { type Span, SpanStatusCode, trace } from '@opentelemetry/api';
import { DIAGNOSTICS_CHANNELS, type DiagnosticsPayloads } from 'express-bindid';
import { Counter, Gauge, Histogram, type Registry, register } from 'prom-client';

/** The metrics `instrumentBindId` registers (exposed for tests and dashboards). */
export function bindIdMetrics(registry: Registry) {
  const registers = [registry];
  return {
    reports: new Counter({ name: 'bindid_session_feedback_total', help: 'Session-feedback reports by type and outcome', labelNames: ['type', 'outcome'], registers }),
    reportSeconds: new Histogram({ name: 'bindid_session_feedback_duration_seconds', help: 'Time per report, all attempts', labelNames: ['type', 'outcome'], registers }),
    exchanges: new Counter({ name: 'bindid_token_exchange_total', help: 'Callback token exchanges by outcome', labelNames: ['outcome'], registers }),
    outbox: new Counter({ name: 'bindid_outbox_events_total', help: 'Fail-open outbox events', labelNames: ['event'], registers }),
    circuitOpen: new Gauge({ name: 'bindid_circuit_open', help: '1 while the session-feedback circuit is open or half-open', registers }),
    lockouts: new Counter({ name: 'bindid_attempts_locked_total', help: 'Password checks refused by a limit', labelNames: ['limit'], registers }),
  };
}

type Handlers<C extends object> = diagnostics.TracingChannelSubscribers<C>;

/** Subscribe to every channel; returns the function that unsubscribes. */
export function instrumentBindId(options: { registry?: Registry } = {}): () => void {
  const metrics = bindIdMetrics(options.registry ?? register);
  const tracer = trace.getTracer('express-bindid');
  const spans = new WeakMap<object, Span>();
  const subscriptions: Array<() => void> = [];

  const traced = <C extends object>(name: string, spanName: string, finish: (context: C, span: Span, failed: boolean) => void) => {
    const handlers: Handlers<C> = {
      start: (context) => void spans.set(context, tracer.startSpan(spanName)),
      end: () => undefined,
      asyncStart: () => undefined,
      error: (context) => spans.get(context)?.setStatus({ code: SpanStatusCode.ERROR }),
      asyncEnd: (context) => {
        const span = spans.get(context);
        if (!span) return;
        finish(context, span, 'error' in context);
        span.end();
      },
    };
    diagnostics.tracingChannel<object, C>(name).subscribe(handlers);
    subscriptions.push(() => diagnostics.tracingChannel<object, C>(name).unsubscribe(handlers));
  };
  const plain = <M>(name: string, handle: (message: M) => void) => {
    const handler = (message: unknown) => handle(message as M);
    diagnostics.subscribe(name, handler);
    subscriptions.push(() => diagnostics.unsubscribe(name, handler));
  };

  traced<DiagnosticsPayloads['sessionFeedback']>(DIAGNOSTICS_CHANNELS.sessionFeedback, 'bindid.session_feedback', (c, span, failed) => {
    const outcome = failed ? (c.code ?? 'error') : 'accepted';
    span.setAttributes({ 'bindid.report.type': c.type, 'bindid.attempts': c.attempts ?? 0, ...(c.status ? { 'http.response.status_code': c.status } : {}) });
    if (c.code) span.setAttribute('error.type', c.code);
    metrics.reports.inc({ type: c.type, outcome });
    metrics.reportSeconds.observe({ type: c.type, outcome }, (c.durationMs ?? 0) / 1000);
  });
  traced<DiagnosticsPayloads['tokenExchange']>(DIAGNOSTICS_CHANNELS.tokenExchange, 'bindid.token_exchange', (c, span, failed) => {
    const outcome = failed ? (c.code ?? 'error') : c.returningUser ? 'returning_user' : 'new_user';
    span.setAttribute('bindid.outcome', outcome);
    metrics.exchanges.inc({ outcome });
  });
  plain(DIAGNOSTICS_CHANNELS.outboxEnqueue, () => metrics.outbox.inc({ event: 'enqueued' }));
  plain(DIAGNOSTICS_CHANNELS.outboxDeliver, () => metrics.outbox.inc({ event: 'delivered' }));
  plain(DIAGNOSTICS_CHANNELS.outboxDeadLetter, () => metrics.outbox.inc({ event: 'dead_lettered' }));
  plain<DiagnosticsPayloads['circuitBreaker']>(DIAGNOSTICS_CHANNELS.circuitBreaker, (m) => metrics.circuitOpen.set(m.to === 'closed' ? 0 : 1));
  plain<DiagnosticsPayloads['attemptsLocked']>(DIAGNOSTICS_CHANNELS.attemptsLocked, (m) => metrics.lockouts.inc({ limit: m.limit }));

  return () => {
    for (const unsubscribe of subscriptions) unsubscribe();
  };
}
