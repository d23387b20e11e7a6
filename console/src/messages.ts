import { ApiError } from './api.js';
import { alertBox, h } from './dom.js';

/**
 * What a failure means to the person at the console, by the API's stable error codes. The
 * server's own detail follows where it helps (it names the field that was wrong).
 */
export function explain(error: unknown): { title: string; text: string } {
  if (!(error instanceof ApiError)) {
    return { title: 'Something went wrong', text: error instanceof Error ? error.message : String(error) };
  }
  switch (error.code) {
    case 'network': return { title: 'No connection', text: error.detail };
    case 'unauthorized': return { title: 'Not signed in', text: 'Your session has ended. Sign in again.' };
    case 'forbidden': return { title: 'Not allowed', text: error.detail };
    case 'claim_failed':
      return {
        title: 'Wrong claim authentication code',
        text: 'The owner token does not match this device (or it is outside its validity). Check the code on the label: '
          + 'a code that was already used to claim the device is spent, so ask the current holder for a hand-over code.',
      };
    case 'device_not_provisioned':
      return { title: 'Unknown device', text: 'Deed knows no device with this DevEUI and JoinEUI. Check the numbers on the label.' };
    case 'claim_locked':
      return { title: 'Device already claimed', text: 'This device is already claimed by someone else, who locked it. It cannot be claimed until they release it.' };
    case 'rate_limited':
      return { title: 'Locked out for now', text: `Too many failed attempts. Wait ${wait(error.retryAfterSeconds)} before you try again.` };
    case 'not_claimed': return { title: 'Not claimed', text: 'This device is not claimed: there is nothing to release.' };
    case 'not_holder': return { title: 'Not yours', text: 'Only the current holder of this device (or an admin) may do this.' };
    case 'no_owner_token': return { title: 'No owner token', text: 'This device has no owner token (claim authentication code): set or regenerate one first.' };
    case 'not_found': return { title: 'Not found', text: error.detail };
    case 'already_exists': return { title: 'Already exists', text: error.detail };
    case 'invalid_input':
    case 'invalid_request':
      return { title: 'Please check your input', text: error.detail };
    case 'malformed_file': return { title: 'The file cannot be read', text: error.detail };
    case 'payload_too_large': return { title: 'Too large', text: 'The file is larger than the server accepts.' };
    default: return { title: error.status >= 500 ? 'Server error' : 'Request refused', text: error.detail };
  }
}

function wait(seconds: number | null): string {
  if (seconds === null) return 'a while';
  if (seconds < 120) return `${seconds} s`;
  const minutes = Math.ceil(seconds / 60);
  return `${minutes} minutes`;
}

/** An error box for any failure; a lock-out counts down and calls `onUnlocked` when it ends. */
export function errorBox(error: unknown, onUnlocked?: () => void): HTMLElement {
  const { title, text } = explain(error);
  const body = h('p', {}, text);
  const box = alertBox('error', title, body);
  box.classList.add('error-box');
  if (error instanceof ApiError && error.code === 'rate_limited' && error.retryAfterSeconds !== null) {
    const until = Date.now() + error.retryAfterSeconds * 1000;
    box.dataset['retryAfter'] = String(error.retryAfterSeconds);
    const tick = () => {
      const left = Math.max(0, Math.ceil((until - Date.now()) / 1000));
      if (!box.isConnected && left > 0) return;
      if (left === 0) {
        body.textContent = 'You may try again now.';
        onUnlocked?.();
        return;
      }
      body.textContent = `Too many failed attempts. Wait ${wait(left)} before you try again.`;
      setTimeout(tick, 1000);
    };
    setTimeout(tick, 1000);
  }
  return box;
}
