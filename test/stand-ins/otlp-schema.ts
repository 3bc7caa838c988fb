// The OTLP/HTTP JSON encoding of ExportTraceServiceRequest, derived from opentelemetry-proto
// (opentelemetry/proto/collector/trace/v1, trace/v1, common/v1, resource/v1) and its JSON mapping
// (the OTLP spec, "JSON Protobuf Encoding"): lowerCamelCase keys only, trace and span ids as hex
// (not base64), enums as integers, 64-bit integers as decimal strings or numbers, every field
// optional (proto3 defaults are omitted). Strict like the collector's decoder: an unknown key is
// an error.
import { z } from "zod";

const uint32 = z.number().int().min(0).max(0xffff_ffff);
/** fixed64/int64: a decimal string (the usual form) or a JSON number. */
const int64 = z.union([z.string().regex(/^-?\d+$/), z.number().int()]);
const uint64 = z.union([z.string().regex(/^\d+$/), z.number().int().min(0)]);
const hexId = (bytes: number) =>
  z.string().regex(new RegExp(`^[0-9a-f]{${bytes * 2}}$`), `must be ${bytes * 2} lowercase hex digits`);
const base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/);

type AnyValue = {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: string | number;
  doubleValue?: number | string;
  arrayValue?: { values?: AnyValue[] };
  kvlistValue?: { values?: KeyValue[] };
  bytesValue?: string;
};
type KeyValue = { key?: string; value?: AnyValue };

const anyValue: z.ZodType<AnyValue> = z.lazy(() =>
  z
    .object({
      stringValue: z.string(),
      boolValue: z.boolean(),
      intValue: int64,
      doubleValue: z.union([z.number(), z.enum(["NaN", "Infinity", "-Infinity"])]),
      arrayValue: z.strictObject({ values: z.array(anyValue).optional() }),
      kvlistValue: z.strictObject({ values: z.array(keyValue).optional() }),
      bytesValue: base64,
    })
    .partial()
    .strict()
    // `value` is a oneof: at most one member is set.
    .refine((v) => Object.keys(v).length <= 1, "AnyValue sets more than one of its oneof"),
);
const keyValue: z.ZodType<KeyValue> = z.lazy(() =>
  z.strictObject({ key: z.string().optional(), value: anyValue.optional() }),
);
const attributes = z.array(keyValue);

const scope = z
  .strictObject({ name: z.string(), version: z.string(), attributes, droppedAttributesCount: uint32 })
  .partial();
const resource = z
  .strictObject({
    attributes,
    droppedAttributesCount: uint32,
    entityRefs: z.array(
      z
        .strictObject({
          schemaUrl: z.string(),
          type: z.string(),
          idKeys: z.array(z.string()),
          descriptionKeys: z.array(z.string()),
        })
        .partial(),
    ),
  })
  .partial();

const event = z
  .strictObject({ timeUnixNano: uint64, name: z.string(), attributes, droppedAttributesCount: uint32 })
  .partial();
const link = z
  .strictObject({
    traceId: hexId(16),
    spanId: hexId(8),
    traceState: z.string(),
    attributes,
    droppedAttributesCount: uint32,
    flags: uint32,
  })
  .partial();

export const otlpSpan = z
  .strictObject({
    traceId: hexId(16),
    spanId: hexId(8),
    traceState: z.string(),
    // Empty (or absent) for a root span.
    parentSpanId: z.union([hexId(8), z.literal("")]),
    flags: uint32,
    name: z.string(),
    // SPAN_KIND_UNSPECIFIED .. SPAN_KIND_CONSUMER
    kind: z.number().int().min(0).max(5),
    startTimeUnixNano: uint64,
    endTimeUnixNano: uint64,
    attributes,
    droppedAttributesCount: uint32,
    events: z.array(event),
    droppedEventsCount: uint32,
    links: z.array(link),
    droppedLinksCount: uint32,
    // STATUS_CODE_UNSET, _OK, _ERROR
    status: z.strictObject({ message: z.string(), code: z.number().int().min(0).max(2) }).partial(),
  })
  .partial()
  // Required by the spec even though proto3 cannot say so: an id of all zeros is invalid.
  .refine((s) => s.traceId !== undefined && !/^0+$/.test(s.traceId), "traceId is required and not all zeros")
  .refine((s) => s.spanId !== undefined && !/^0+$/.test(s.spanId), "spanId is required and not all zeros");

export const exportTraceServiceRequest = z
  .strictObject({
    resourceSpans: z.array(
      z
        .strictObject({
          resource,
          scopeSpans: z.array(
            z.strictObject({ scope, spans: z.array(otlpSpan), schemaUrl: z.string() }).partial(),
          ),
          schemaUrl: z.string(),
        })
        .partial(),
    ),
  })
  .partial();

export type ExportTraceServiceRequest = z.infer<typeof exportTraceServiceRequest>;
export type OtlpAnyValue = AnyValue;
export type OtlpKeyValue = KeyValue;
