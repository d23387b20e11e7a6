import jsQR from 'jsqr';

/** Longest side a picture is scaled to before decoding: phone photos are large, QR labels are not. */
const SIZES = [1200, 800, 1800];

function pixels(source: CanvasImageSource, width: number, height: number, longest: number): ImageData {
  const scale = Math.min(1, longest / Math.max(width, height));
  const canvas = document.createElement('canvas');
  canvas.width = Math.max(1, Math.round(width * scale));
  canvas.height = Math.max(1, Math.round(height * scale));
  const context = canvas.getContext('2d', { willReadFrequently: true });
  if (context === null) throw new Error('this browser cannot read images');
  context.fillStyle = '#fff';
  context.fillRect(0, 0, canvas.width, canvas.height);
  context.drawImage(source, 0, 0, canvas.width, canvas.height);
  return context.getImageData(0, 0, canvas.width, canvas.height);
}

/** Decodes the QR code in a photo or image file (in the browser); null when none is found. */
export async function decodeImageFile(file: Blob): Promise<string | null> {
  const bitmap = await createImageBitmap(file);
  try {
    for (const size of SIZES) {
      const image = pixels(bitmap, bitmap.width, bitmap.height, size);
      const code = jsQR(image.data, image.width, image.height, { inversionAttempts: 'attemptBoth' });
      if (code !== null && code.data !== '') return code.data;
    }
    return null;
  } finally {
    bitmap.close();
  }
}

/** A running camera scan; `stop()` releases the camera. */
export interface CameraScan {
  stop(): void;
}

/** Why the camera could not start, in words for people. */
export function cameraProblem(error: unknown): string {
  const name = (error as { name?: string }).name ?? '';
  if (!window.isSecureContext) return 'The camera works only over HTTPS (or on this computer at localhost). Upload a photo of the label instead.';
  if (name === 'NotAllowedError' || name === 'SecurityError') return 'Camera access was refused. Allow the camera for this site, or upload a photo of the label instead.';
  if (name === 'NotFoundError' || name === 'OverconstrainedError') return 'No camera was found. Upload a photo of the label instead.';
  if (name === 'NotReadableError') return 'The camera is in use by another app. Close it and try again.';
  return `The camera could not start (${(error as Error).message ?? name}).`;
}

/**
 * Starts the (rear) camera in `video` and looks for a QR code a few times a second; calls
 * `onCode` once with the first text found, then stops. Rejects when the camera cannot start.
 */
export async function startCameraScan(video: HTMLVideoElement, onCode: (text: string) => void): Promise<CameraScan> {
  if (navigator.mediaDevices?.getUserMedia === undefined) throw Object.assign(new Error('no camera API'), { name: 'NotFoundError' });
  const stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: { ideal: 'environment' } }, audio: false });
  video.srcObject = stream;
  video.setAttribute('playsinline', '');
  video.muted = true;
  await video.play().catch(() => undefined);
  let stopped = false;
  let timer: number | undefined;
  const stop = () => {
    stopped = true;
    if (timer !== undefined) clearTimeout(timer);
    for (const track of stream.getTracks()) track.stop();
    video.srcObject = null;
  };
  const look = () => {
    if (stopped) return;
    if (video.readyState >= 2 && video.videoWidth > 0) {
      const image = pixels(video, video.videoWidth, video.videoHeight, 800);
      const code = jsQR(image.data, image.width, image.height, { inversionAttempts: 'attemptBoth' });
      if (code !== null && code.data !== '') {
        stop();
        onCode(code.data);
        return;
      }
    }
    timer = window.setTimeout(look, 200);
  };
  look();
  return { stop };
}

/** The fields of a TR005 `LW:D0:` code (best effort, for showing what was scanned; the server parses for real). */
export function describeQr(text: string): { joinEui: string | null; devEui: string | null; hasToken: boolean } {
  const parts = text.trim().split(':');
  if (parts[0]?.toUpperCase() === 'LW' && parts[1]?.toUpperCase() === 'D0') {
    return {
      joinEui: parts[2] ?? null,
      devEui: parts[3] ?? null,
      hasToken: parts.slice(5).some((part) => part.startsWith('O') && part.length > 1),
    };
  }
  return { joinEui: null, devEui: /[0-9A-Fa-f]{16}/.exec(text)?.[0] ?? null, hasToken: false };
}
