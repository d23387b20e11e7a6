/** The benchmark's devices and the JoinReq bodies the load sends for them. */
import { randomBytes } from 'node:crypto';
import { AesKey, Eui64, encodeJoinRequest, type MacVersion } from '../../src/lorawan/index.js';

/** A device as run.ts registers it. */
export interface BenchDevice {
  readonly devEui: string;
  readonly joinEui: string;
  readonly macVersion: MacVersion;
  readonly appKey: string;
  /** LoRaWAN 1.1 only. */
  readonly nwkKey?: string;
}

export const JOIN_EUI = '70B3D57ED0000000';

/** The CFList an EU868 network sends: 867.1 … 867.9 MHz. */
const CF_LIST = '184E84E85684B85E84886684586E8400';

const hex = (bytes: number) => randomBytes(bytes).toString('hex').toUpperCase();

/** The MAC version of device `i`: 8 in 10 LoRaWAN 1.0.3, 1 in 10 1.0.4, 1 in 10 1.1. */
export function macVersionOf(i: number): MacVersion {
  const r = i % 10;
  return r < 8 ? '1.0.3' : r === 8 ? '1.0.4' : '1.1';
}

/** `count` devices with random root keys; DevEUIs `00BE…<index>` so a run's devices are easy to spot. */
export function makeDevices(count: number, devEuiPrefix = '00BE'): BenchDevice[] {
  return Array.from({ length: count }, (_, i) => {
    const macVersion = macVersionOf(i);
    return {
      devEui: devEuiPrefix + i.toString(16).toUpperCase().padStart(16 - devEuiPrefix.length, '0'),
      joinEui: JOIN_EUI,
      macVersion,
      appKey: hex(16),
      ...(macVersion === '1.1' ? { nwkKey: hex(16) } : {}),
    };
  });
}

/** A device ready to send JoinReqs fast: parsed identifiers, MIC key, and the constant parts of the body. */
export interface PreparedDevice {
  readonly joinEui: Eui64;
  readonly devEui: Eui64;
  readonly micKey: AesKey;
  readonly head: string;
  readonly middle: string;
  readonly tail: string;
}

export function prepareDevice(d: BenchDevice, netId: string, index: number): PreparedDevice {
  const protocol = d.macVersion === '1.1' ? '1.1' : '1.0';
  const devAddr = (0x26000000 + (index & 0x00ffffff)).toString(16).toUpperCase().padStart(8, '0');
  return {
    joinEui: Eui64.fromHex(d.joinEui),
    devEui: Eui64.fromHex(d.devEui),
    // The JoinRequest MIC is computed with NwkKey in 1.1, with AppKey before.
    micKey: AesKey.fromHex(d.macVersion === '1.1' ? d.nwkKey : d.appKey),
    head: `{"ProtocolVersion":"${protocol}","TransactionID":`,
    middle: `,"MessageType":"JoinReq","SenderID":"${netId}","ReceiverID":"${d.joinEui}","MACVersion":"${d.macVersion}","PHYPayload":"`,
    tail: `","DevEUI":"${d.devEui}","DevAddr":"${devAddr}","DLSettings":"00","RxDelay":1,"CFList":"${CF_LIST}"}`,
  };
}

/** The JSON body of a BI JoinReq whose PHYPayload is a JoinRequest built and MIC'd with Deed's LoRaWAN code. */
export function joinReqBody(device: PreparedDevice, transactionId: number, devNonce: number): string {
  const phy = Buffer.from(encodeJoinRequest({ joinEui: device.joinEui, devEui: device.devEui, devNonce }, device.micKey))
    .toString('hex').toUpperCase();
  return `${device.head}${transactionId}${device.middle}${phy}${device.tail}`;
}
