// The metrics sink of a handler: CloudWatch EMF lines on stdout through Powertools, under METRICS_NAMESPACE with
// the stage's service as the default dimension; silent when no namespace is configured (local runs, the CLI).
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { MiddlewareObj } from '@middy/core';
import type { Config } from '../../lib/config.ts';
import { type MetricsSink, recordThrottle, silentMetrics } from '../../lib/metrics.ts';

export function functionMetrics(config: Config): MetricsSink {
  if (!config.METRICS_NAMESPACE) return silentMetrics;
  const metrics = new Metrics({ namespace: config.METRICS_NAMESPACE, serviceName: config.METRICS_SERVICE });
  return {
    emit(dimensions, data) {
      if (data.length === 0) return;
      for (const [name, value] of Object.entries(dimensions)) metrics.addDimension(name, value);
      for (const datum of data) metrics.addMetric(datum.name, datum.unit, datum.value);
      // One line per record, written now: nothing is lost when the invocation ends in an error.
      metrics.publishStoredMetrics();
    },
  };
}

/** Counts an upstream throttle that ends an invocation (the error itself goes on unchanged). */
export function throttleMetrics<E, R>(sink: MetricsSink): MiddlewareObj<E, R> {
  return {
    onError: (request) => {
      recordThrottle(sink, request.error);
    },
  };
}
