import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { Aedes, type AedesOptions, type AuthenticateError, type Client } from 'aedes';
import { deviceByAccessToken, type ClaimWindowDeps } from '../../claiming/claim-window.js';
import { ClaimError } from '../../claiming/errors.js';
import {
  answerDeviceClaim, answerGatewayClaim, DEVICE_RESPONSE_TOPIC, GATEWAY_CLAIM_TOPIC, GATEWAY_RESPONSE_TOPIC, MAX_GATEWAY_PAYLOAD, RESPONSE_TOPIC_OF,
} from './claim-messages.js';
import { limitPacketSize } from './packet-size-guard.js';
import { qos0PublishPacket } from './publish-packet.js';
import { connectSharedMqttState, type SharedMqttState } from './redis-state.js';

/** A log as pino's: structured object first, then the message. */
export interface MqttLog {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** A running MQTT broker. */
export interface MqttBroker {
  /** The TCP port it listens on. */
  readonly port: number;
  close(): Promise<void>;
}

export interface MqttBrokerOptions {
  readonly host: string;
  /** 0 picks a free port (tests). */
  readonly port: number;
  /** Redis shared by several instances (DEED_REDIS_URL); in memory without it. */
  readonly redisUrl?: string;
  readonly deps: ClaimWindowDeps;
  readonly logger: MqttLog;
}

/** Any packet larger than this cuts the connection before it is read into memory. */
const MAX_PACKET = MAX_GATEWAY_PAYLOAD + 1024;
const RESPONSE_TOPICS: ReadonlySet<string> = new Set([DEVICE_RESPONSE_TOPIC, GATEWAY_RESPONSE_TOPIC]);

/** What the broker knows of a connected device. Held in memory only, never logged. */
interface Session {
  /** Checked again at every announcement, so a rotated token stops working at once. */
  readonly accessToken: string;
  readonly deviceId: string;
  /** The response topics this client subscribed to: it is answered only there. */
  readonly subscribed: Set<string>;
}

function refusal(returnCode: 3 | 4, message: string): AuthenticateError {
  return Object.assign(new Error(message), { returnCode }) as AuthenticateError;
}

async function listen(server: Server, host: string, port: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/**
 * Writes a claim response (QoS 0, to this connection only) straight to the connection, corked
 * until the end of the tick so that what follows in the same tick (the PUBACK) goes out with it.
 * Equivalent to `client.publish`, which would write it a turn later, in a system call of its own.
 */
function sendResponse(client: Client, topic: string, response: unknown, log: MqttLog): void {
  const conn = client.conn;
  if (!client.connected || !conn.writable) return;
  try {
    conn.cork();
    conn.write(qos0PublishPacket(topic, JSON.stringify(response)));
  } catch (error) {
    log.warn({ err: { message: (error as Error).message } }, 'MQTT claim response not sent');
  } finally {
    process.nextTick(() => conn.uncork());
  }
}

/**
 * The embedded MQTT broker devices open claim windows through (ThingsBoard's topics). A device
 * connects with its access token as the username (anything else: CONNACK "bad user name or
 * password"), publishes `{"secretKey","durationMs"}` to `v1/devices/me/claim` (a gateway: one
 * entry per device to `v1/gateway/claim`), and reads the outcome on `…/claim/response`, sent to
 * that connection alone. Devices may publish to the two claim topics and subscribe to the two
 * response topics only; a publish elsewhere closes the connection (MQTT 3.1.1 has no negative
 * acknowledgement). Claim messages reach no subscriber and nothing else; wills are dropped.
 * With `redisUrl`, sessions and messages are shared with the other instances through Redis.
 */
export async function startMqttBroker(options: MqttBrokerOptions): Promise<MqttBroker> {
  const { deps, logger: log } = options;
  const claimDeps = { deviceWindows: deps, log };
  const sessions = new WeakMap<Client, Session>();
  const shared: SharedMqttState | undefined = options.redisUrl === undefined ? undefined : await connectSharedMqttState(options.redisUrl, log);

  const handlers: AedesOptions = {
    preConnect(_client, packet, callback) {
      // Deed forwards nothing between devices, so a last will would go nowhere.
      delete (packet as { will?: unknown }).will;
      callback(null, true);
    },

    authenticate(client, username, _password, done) {
      if (username === undefined || username === '') {
        done(refusal(4, 'give the device\'s access token as the MQTT username'), null);
        return;
      }
      deviceByAccessToken(deps, username).then((device) => {
        sessions.set(client, { accessToken: username, deviceId: device.id, subscribed: new Set() });
        done(null, true);
      }, (error: unknown) => {
        if (error instanceof ClaimError && error.code === 'unknown_access_token') {
          log.debug({}, 'MQTT connection refused: unknown access token');
          done(refusal(4, 'unknown access token'), null);
          return;
        }
        log.error({ err: { name: (error as Error).name, message: (error as Error).message } }, 'MQTT authentication failed');
        done(refusal(3, 'the server cannot check access tokens now'), null);
      });
    },

    authorizePublish(client, packet, callback) {
      const session = client === null ? undefined : sessions.get(client);
      const responseTopic = RESPONSE_TOPIC_OF[packet.topic];
      if (client === null || session === undefined || responseTopic === undefined) {
        log.debug({ topic: packet.topic.slice(0, 100) }, 'MQTT publish refused: devices publish to v1/devices/me/claim or v1/gateway/claim only');
        callback(new Error('devices may publish to v1/devices/me/claim and v1/gateway/claim only'));
        return;
      }
      const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload, 'utf8') : packet.payload;
      // The message goes on into the broker (that is what acknowledges it) but no one may
      // subscribe to a claim topic: empty, not retained, the secret stays here.
      packet.payload = Buffer.alloc(0);
      packet.retain = false;
      const answer = packet.topic === GATEWAY_CLAIM_TOPIC
        ? answerGatewayClaim(claimDeps, session.accessToken, payload)
        : answerDeviceClaim(claimDeps, session.accessToken, payload);
      void answer.then((response) => {
        // A token rotated while connected: the device must connect again with the new one.
        const rotated = 'code' in response && response.code === 'unknown_access_token';
        log.debug({ deviceId: session.deviceId, topic: packet.topic, result: 'result' in response ? response.result : 'per-device' }, 'MQTT claim message answered');
        if (session.subscribed.has(responseTopic)) sendResponse(client, responseTopic, response, log);
        // Acknowledged once the response is on its way: the PUBACK, written now, leaves in the
        // same system call right behind it. After a rotation the connection is closed instead,
        // once the response has been handed to the socket.
        if (rotated) setImmediate(() => callback(new Error('the access token was replaced')));
        else callback(null);
      });
    },

    authorizeSubscribe(client, subscription, callback) {
      const session = sessions.get(client);
      if (session === undefined || !RESPONSE_TOPICS.has(subscription.topic)) {
        // SUBACK 0x80 for this topic; the connection stays.
        callback(null, null);
        return;
      }
      session.subscribed.add(subscription.topic);
      callback(null, subscription);
    },

    // Only the claim responses go out, and those only through the publishing client.
    authorizeForward: (_client, packet) => (RESPONSE_TOPICS.has(packet.topic) ? packet : null),
  };

  const broker = await Aedes.createBroker({
    ...handlers,
    ...(shared !== undefined ? { mq: shared.mq, persistence: shared.persistence } : {}),
  });
  broker.on('unsubscribe', (topics, client) => {
    const session = sessions.get(client);
    for (const topic of topics) session?.subscribed.delete(topic);
  });
  broker.on('clientError', (_client, error) => log.debug({ err: { message: error.message } }, 'MQTT client error'));
  broker.on('connectionError', (_client, error) => log.debug({ err: { message: error.message } }, 'MQTT connection error'));

  const server = createServer((socket: Socket) => {
    socket.setNoDelay(true);
    broker.handle(limitPacketSize(socket, MAX_PACKET, (error) => log.debug({ announced: error.announced }, 'MQTT connection cut: packet too large')));
  });
  const closeBroker = async () => {
    await new Promise<void>((resolve) => broker.close(() => resolve()));
    await shared?.close();
  };
  try {
    await listen(server, options.host, options.port);
  } catch (error) {
    await closeBroker();
    const { code, message } = error as NodeJS.ErrnoException;
    const problem = code === 'EADDRINUSE' ? `DEED_MQTT_PORT ${options.port} is in use: ${message}`
      : code === 'EACCES' ? `DEED_MQTT_PORT ${options.port} may not be bound: ${message} (ports below 1024 need privileges)`
        : `cannot listen for MQTT on ${options.host}:${options.port}: ${message}`;
    throw new Error(`${problem}; set DEED_MQTT_PORT to another port or 0 to disable MQTT`);
  }
  const port = (server.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;
  return {
    port,
    close: () => (closing ??= (async () => {
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      await closeBroker();
      await stopped;
    })()),
  };
}
