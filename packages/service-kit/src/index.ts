export { ConfigError, ConfigReader } from './config-reader.ts';
export { errorResponseSchema, HTTP_ERRORS, HttpError, type HttpErrorCode } from './http-errors.ts';
export { PollingLoop, type PollingLoopOptions } from './polling-loop.ts';
export { createServiceApp, type ServiceAppOptions } from './service-app.ts';
export { type CommonConfig, readCommonConfig, runUntilSignalled, ServiceRuntime, type Worker } from './service-runtime.ts';
