/** Largest "remaining length" MQTT 3.1.1 can encode (four length bytes). */
const MAX_REMAINING_LENGTH = 268_435_455;

/**
 * The bytes of an MQTT 3.1.1 PUBLISH at QoS 0, not retained, not a duplicate (what a claim
 * response is): fixed header 0x30, the remaining length as a varint, the topic as a
 * length-prefixed UTF-8 string, then the payload (QoS 0 has no packet identifier).
 */
export function qos0PublishPacket(topic: string, payload: string): Buffer {
  const topicBytes = Buffer.byteLength(topic, 'utf8');
  if (topicBytes > 0xffff) throw new RangeError('an MQTT topic is at most 65,535 bytes');
  const remaining = 2 + topicBytes + Buffer.byteLength(payload, 'utf8');
  if (remaining > MAX_REMAINING_LENGTH) throw new RangeError('an MQTT packet is at most 256 MiB');
  let lengthBytes = 1;
  for (let n = remaining; n >= 128; n = Math.floor(n / 128)) lengthBytes++;
  const packet = Buffer.allocUnsafe(1 + lengthBytes + remaining);
  packet[0] = 0x30;
  let offset = 1;
  let n = remaining;
  do {
    const digit = n % 128;
    n = Math.floor(n / 128);
    packet[offset++] = n > 0 ? digit | 0x80 : digit;
  } while (n > 0);
  packet.writeUInt16BE(topicBytes, offset);
  offset += 2;
  offset += packet.write(topic, offset, 'utf8');
  packet.write(payload, offset, 'utf8');
  return packet;
}
