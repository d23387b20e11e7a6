import mqttPacket from 'mqtt-packet';
import { describe, expect, it } from 'vitest';
import { qos0PublishPacket } from './publish-packet.js';

describe('qos0PublishPacket', () => {
  it('encodes what mqtt-packet encodes, across the remaining-length boundaries', () => {
    const topic = 'v1/devices/me/claim/response';
    // Remaining lengths 127/128 and 16,383/16,384 fall on either side of a length-byte boundary.
    for (const size of [0, 10, 127 - 2 - topic.length, 128 - 2 - topic.length, 16_383 - 2 - topic.length, 16_384 - 2 - topic.length, 200_000]) {
      const payload = '{"result":"OK"}'.padEnd(size, 'é').slice(0, size);
      const expected = mqttPacket.generate({ cmd: 'publish', topic, payload: Buffer.from(payload, 'utf8'), qos: 0, retain: false, dup: false });
      expect(qos0PublishPacket(topic, payload).equals(expected)).toBe(true);
    }
  });

  it('parses back to the topic and payload', () => {
    const parser = mqttPacket.parser({ protocolVersion: 4 });
    const seen: mqttPacket.IPublishPacket[] = [];
    parser.on('packet', (packet) => seen.push(packet as mqttPacket.IPublishPacket));
    parser.parse(qos0PublishPacket('v1/gateway/claim/response', '{"Gerät A":{"result":"OK"}}'));
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ cmd: 'publish', topic: 'v1/gateway/claim/response', qos: 0, retain: false, dup: false });
    expect(Buffer.from(seen[0]?.payload as Buffer).toString('utf8')).toBe('{"Gerät A":{"result":"OK"}}');
  });
});
