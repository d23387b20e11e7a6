/** The CoAP transport: devices open claim windows with `POST /api/v1/{accessToken}/claim`. */
export { startCoapServer, type CoapListener } from './coap-server.js';
export { handleClaimRequest, MAX_CLAIM_PAYLOAD, type CoapClaimDeps } from './claim-resource.js';
