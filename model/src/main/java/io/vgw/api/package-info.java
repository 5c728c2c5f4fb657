/**
 * The control API's request and response shapes, shared by the gateway (server), the reconciler and the CLI
 * (clients): records written as snake_case JSON by {@link io.vgw.api.ApiJson#MAPPER}. No network and no native code,
 * so a client depends on it without seeing DPDK.
 *
 * <pre>
 * GET /v1/status   → 200 {@link io.vgw.api.Status}
 * GET /v1/revision → 200 {@link io.vgw.api.LiveRevision}
 * GET /v1/config   → 200 {@link io.vgw.api.LiveConfig}
 * PUT /v1/config   {@link io.vgw.api.ConfigRequest} → 200/409/422 {@link io.vgw.api.ApplyReply}
 * any error        → {@link io.vgw.api.ApiError}
 * </pre>
 */
package io.vgw.api;
