/**
 * LoRa Alliance TR005 device identification QR codes: parse final TR005, Draft 2, Draft 3 and
 * bare DevEUI texts; write final TR005. Pure: no I/O, no image handling (see `src/qr/`).
 * This file is the public API.
 */
export {
  type DeviceQr,
  type DeviceQrFormat,
  DEVICE_QR_FORMATS,
  MAX_DEVICE_QR_BYTES,
} from './device-qr.js';
export { parseDeviceQr } from './parse-device-qr.js';
export { formatDeviceQr } from './format-device-qr.js';
