import {
  context,
  propagation,
  ROOT_CONTEXT,
  SpanStatusCode,
  trace,
  type Link,
  type Span,
  type SpanContext,
} from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter as OtlpJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OtlpProtobufExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { defaultResource, detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { BullMQOtel } from 'bullmq-otel';

/** The OTEL_* settings (libs/config's tracingEnv) tracing starts from. */
export interface TracingSettings {
  OTEL_EXPORTER_OTLP_ENDPOINT?: string;
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?: string;
  OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf' | 'http/json';
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL?: 'http/protobuf' | 'http/json';
  OTEL_SERVICE_NAME?: string;
}

export interface Tracing {
  /** Exports what is buffered and stops; call before the process exits. */
  shutdown(): Promise<void>;
}

const TRACER = 'vectorizer';
let bullmq: BullMQOtel | undefined;

/**
 * Turns tracing on when an OTLP endpoint is set (off otherwise: the API's no-op tracer costs
 * nothing): the standard endpoint rules (`…_TRACES_ENDPOINT` as is, else `…_ENDPOINT` + /v1/traces),
 * http/protobuf or http/json, OTEL_SERVICE_NAME (else `serviceName`) and OTEL_RESOURCE_ATTRIBUTES,
 * W3C trace context, and BullMQ's own telemetry (bullmq-otel) for the job spans.
 */
export function startTracing(settings: TracingSettings, serviceName: string): Tracing | undefined {
  const base = settings.OTEL_EXPORTER_OTLP_ENDPOINT;
  const url = settings.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? (base ? `${base.replace(/\/+$/, '')}/v1/traces` : '');
  if (url === '') return undefined;
  const protocol = settings.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? settings.OTEL_EXPORTER_OTLP_PROTOCOL;
  const exporter = protocol === 'http/json' ? new OtlpJsonExporter({ url }) : new OtlpProtobufExporter({ url });
  const resource = defaultResource()
    .merge(resourceFromAttributes({ 'service.name': serviceName }))
    .merge(detectResources({ detectors: [envDetector] }));
  const provider = new TracerProvider({ resource, spanProcessors: [new BatchSpanProcessor({ exporter })] });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
  bullmq = new BullMQOtel({ tracerName: 'bullmq' });
  return {
    shutdown: async () => {
      bullmq = undefined;
      await provider.shutdown();
    },
  };
}

/** BullMQ's telemetry option (Queue, Worker) while tracing is on, else undefined (BullMQ traces nothing). */
export function bullmqTelemetry(): BullMQOtel | undefined {
  return bullmq;
}

/**
 * Runs `work` in a span (a child of the active one unless `root`), recording a thrown error on it;
 * `links` point at spans of other traces (a product's job and the batch it joined).
 */
export async function inSpan<T>(
  name: string,
  work: (span: Span) => Promise<T>,
  options: { attributes?: Record<string, string | number | boolean>; links?: Link[]; root?: boolean } = {},
): Promise<T> {
  const parent = options.root ? ROOT_CONTEXT : context.active();
  const span = trace
    .getTracer(TRACER)
    .startSpan(name, { attributes: options.attributes, links: options.links, root: options.root }, parent);
  try {
    return await context.with(trace.setSpan(parent, span), () => work(span));
  } catch (error) {
    span.recordException(error as Error);
    span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
    throw error;
  } finally {
    span.end();
  }
}

/** The active span's context when it is a real (sampled, exported) one. */
export function activeSpanContext(): SpanContext | undefined {
  const span = trace.getSpan(context.active());
  const spanContext = span?.spanContext();
  return spanContext && trace.isSpanContextValid(spanContext) ? spanContext : undefined;
}

/**
 * A new trace for one piece of work started inside a bigger one (a product enqueued by a catalog
 * ingest): its root span links to the active span; returns the trace context as BullMQ's job
 * telemetry metadata, so the job's spans in the worker join this trace. Undefined while tracing is off.
 */
export function startLinkedTrace(
  name: string,
  attributes: Record<string, string>,
): { metadata: string; end(): void } | undefined {
  if (!bullmq) return undefined;
  const from = activeSpanContext();
  const span = trace
    .getTracer(TRACER)
    .startSpan(name, { root: true, attributes, links: from ? [{ context: from }] : [] }, ROOT_CONTEXT);
  const carrier: Record<string, string> = {};
  propagation.inject(trace.setSpan(ROOT_CONTEXT, span), carrier);
  return { metadata: JSON.stringify(carrier), end: () => span.end() };
}
