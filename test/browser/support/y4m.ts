import { PNG } from 'pngjs';

/**
 * A Y4M video (what chromium's `--use-file-for-fake-video-capture` plays as the camera) showing
 * a PNG, e.g. a device's QR label, centred on white: RGB → luma, chroma neutral (grey scale),
 * 4:2:0. A few identical frames; chromium loops them.
 */
export function pngToY4m(png: Buffer, options: { width?: number; height?: number; frames?: number; scale?: number } = {}): Buffer {
  const width = options.width ?? 640;
  const height = options.height ?? 480;
  const frames = options.frames ?? 5;
  const image = PNG.sync.read(png);
  // The largest whole scale that fits with a margin (default), nearest-neighbour so modules stay sharp.
  const scale = options.scale ?? Math.max(1, Math.floor(Math.min((width * 0.8) / image.width, (height * 0.8) / image.height)));
  const w = image.width * scale;
  const h = image.height * scale;
  const left = Math.floor((width - w) / 2);
  const top = Math.floor((height - h) / 2);
  const luma = Buffer.alloc(width * height, 255);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = (Math.floor(y / scale) * image.width + Math.floor(x / scale)) * 4;
      const r = image.data[i] ?? 255;
      const g = image.data[i + 1] ?? 255;
      const b = image.data[i + 2] ?? 255;
      const a = (image.data[i + 3] ?? 255) / 255;
      const value = 0.299 * r + 0.587 * g + 0.114 * b;
      luma[(top + y) * width + left + x] = Math.round(value * a + 255 * (1 - a));
    }
  }
  const chroma = Buffer.alloc((width / 2) * (height / 2) * 2, 128);
  const header = Buffer.from(`YUV4MPEG2 W${width} H${height} F10:1 Ip A1:1 C420jpeg\n`, 'ascii');
  const frame = Buffer.concat([Buffer.from('FRAME\n', 'ascii'), luma, chroma]);
  return Buffer.concat([header, ...Array.from({ length: frames }, () => frame)]);
}
