// Multipart POSTs to /api with upload progress (fetch has no upload progress events, XHR does).
import { ClientApiError, csrfHeaders, errorFrom } from './client';

/** POSTs `body` to /api<path>, reporting 0–100 to `onProgress`; resolves to the parsed JSON, rejects with a ClientApiError. */
export function postWithProgress<T>(path: string, body: FormData, onProgress: (percent: number) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', `/api${path}`);
    xhr.setRequestHeader('accept', 'application/json');
    for (const [k, v] of Object.entries(csrfHeaders())) xhr.setRequestHeader(k, v);
    xhr.upload.onprogress = (ev) => {
      if (ev.lengthComputable) onProgress(Math.round((ev.loaded / ev.total) * 100));
    };
    xhr.onload = async () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        onProgress(100);
        resolve((xhr.responseText ? JSON.parse(xhr.responseText) : null) as T);
      } else {
        reject(await errorFrom({ status: xhr.status, text: xhr.responseText }));
      }
    };
    xhr.onerror = () => reject(new ClientApiError(0, 'network', 'The upload failed: the server could not be reached.'));
    onProgress(0);
    xhr.send(body);
  });
}
