package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/valmennus/valmennus/adapters/telemetry"
	"github.com/valmennus/valmennus/coaching"
)

// serviceName is the service.name of the metrics' target_info and of the
// spans, unless OTEL_SERVICE_NAME (or OTEL_RESOURCE_ATTRIBUTES) says
// otherwise.
const serviceName = "valmennus-backend"

// The environment variables that turn the OTLP trace export on: the
// exporter reads these and the rest of the OTEL_EXPORTER_OTLP_*
// variables (headers, timeout, certificates) itself.
const (
	envOTLPEndpoint       = "OTEL_EXPORTER_OTLP_ENDPOINT"
	envOTLPTracesEndpoint = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"
)

// observability is the program's telemetry: the observer the engine, the
// dispatcher and the API's middleware record into, the metrics it keeps
// for GET /metrics (in a registry of its own, not Prometheus's global
// one), and the spans it exports over OTLP when the environment names a
// collector.
type observability struct {
	obs     *telemetry.Observer
	reg     *prometheus.Registry
	meters  *sdkmetric.MeterProvider
	tracers *sdktrace.TracerProvider // nil without OTLP
}

// observabilityOptions configure newObservability.
type observabilityOptions struct {
	// outbox, when not nil, feeds the outbox gauges, read at clock's time
	// at most once every outboxMinInterval (telemetry's default when 0).
	outbox            coaching.OutboxInspector
	clock             coaching.Clock
	outboxMinInterval time.Duration
	log               *slog.Logger
	// trustIncomingTrace continues the trace context requests carry.
	trustIncomingTrace bool
}

// newObservability builds the program's telemetry.
func newObservability(ctx context.Context, opts *observabilityOptions) (*observability, error) {
	log := opts.log
	res, err := resource.New(ctx, resource.WithAttributes(attribute.String("service.name", serviceName)),
		resource.WithFromEnv(), resource.WithTelemetrySDK())
	if err != nil {
		return nil, fmt.Errorf("telemetry resource: %w", err)
	}
	o := &observability{reg: prometheus.NewRegistry()}
	o.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	exporter, err := otelprom.New(otelprom.WithRegisterer(o.reg))
	if err != nil {
		return nil, fmt.Errorf("prometheus exporter: %w", err)
	}
	o.meters = sdkmetric.NewMeterProvider(sdkmetric.WithReader(exporter), sdkmetric.WithResource(res))

	var tracers trace.TracerProvider = noop.NewTracerProvider()
	if endpoint := otlpEndpoint(); endpoint != "" {
		// The exporter connects lazily: a collector that is down costs
		// dropped spans (logged by OpenTelemetry), never a request.
		spans, err := otlptracehttp.New(ctx)
		if err != nil {
			_ = o.meters.Shutdown(ctx)
			return nil, fmt.Errorf("OTLP trace exporter: %w", err)
		}
		o.tracers = sdktrace.NewTracerProvider(sdktrace.WithBatcher(spans), sdktrace.WithResource(res))
		tracers = o.tracers
		// Only the collector's host is logged: a URL may carry credentials.
		host := "?"
		if u, err := url.Parse(endpoint); err == nil && u.Host != "" {
			host = u.Host
		}
		log.Info("traces are exported over OTLP", slog.String("collector", host))
	}
	o.obs, err = telemetry.New(&telemetry.Options{MeterProvider: o.meters, TracerProvider: tracers, Outbox: opts.outbox, Clock: opts.clock,
		OutboxMinInterval: opts.outboxMinInterval, TrustIncomingTrace: opts.trustIncomingTrace})
	if err != nil {
		_ = o.shutdown(ctx)
		return nil, err
	}
	return o, nil
}

// otlpEndpoint is the OTLP endpoint the environment names for traces, or
// "" when it names none.
func otlpEndpoint() string {
	if e := os.Getenv(envOTLPTracesEndpoint); e != "" {
		return e
	}
	return os.Getenv(envOTLPEndpoint)
}

// metrics serves the registry in the Prometheus text format (or
// OpenMetrics when the scraper asks for it).
func (o *observability) metrics() http.Handler {
	return promhttp.HandlerFor(o.reg, promhttp.HandlerOpts{Registry: o.reg, EnableOpenMetrics: true})
}

// shutdown stops the outbox gauges and flushes what is left: the spans
// not yet exported go out (bounded by ctx), the meters stop.
func (o *observability) shutdown(ctx context.Context) error {
	var errs []error
	if o.obs != nil {
		errs = append(errs, o.obs.Close())
	}
	if o.tracers != nil {
		errs = append(errs, o.tracers.Shutdown(ctx))
	}
	errs = append(errs, o.meters.Shutdown(ctx))
	return errors.Join(errs...)
}
