import type { DataSourceRef } from '@grafana/grafana-foundation-sdk/dashboard';

/** The Prometheus every panel reads: the datasource deploy/grafana/provisioning provisions under this uid. */
export const PROMETHEUS: DataSourceRef = { type: 'prometheus', uid: 'planner-prometheus' };
