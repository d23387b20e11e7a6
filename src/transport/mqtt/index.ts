/** The MQTT transport: the embedded broker devices and gateways open claim windows through. */
export { startMqttBroker, type MqttBroker, type MqttBrokerOptions, type MqttLog } from './mqtt-broker.js';
export {
  answerDeviceClaim, answerGatewayClaim, DEVICE_CLAIM_TOPIC, DEVICE_RESPONSE_TOPIC, GATEWAY_CLAIM_TOPIC, GATEWAY_RESPONSE_TOPIC,
  MAX_DEVICE_PAYLOAD, MAX_GATEWAY_PAYLOAD, type DeviceClaimResponse, type GatewayClaimResponse,
} from './claim-messages.js';
export { REDIS_KEY_PREFIX } from './redis-state.js';
