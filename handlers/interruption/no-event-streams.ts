/**
 * Takes the place of `@smithy/core/event-streams` in the Lambda bundle; `infra/handler-bundling.ts` aliases the
 * SDK's import to this module. The SDK's protocol layer loads event-stream support through a dynamic import,
 * only for operations with event-stream members; neither ELBv2 nor SNS has one. That one dynamic import made
 * esbuild wrap some 160 of the SDK's modules in lazy initialisers, so V8 parsed them twice at every cold start
 * (bench/handler-cold-start.ts). Should an operation ever need event streams, it fails loudly here.
 */
function unsupported(): never {
  throw new Error('event streams are not bundled into the interruption handler (handlers/interruption/no-event-streams.ts)');
}

export class EventStreamSerde {
  constructor() {
    unsupported();
  }
}

export const eventStreamSerdeProvider = (): never => unsupported();
