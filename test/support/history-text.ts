// Raw history as text for canary scans: payload data is base64 in history JSON, so a plain string search would
// pass without looking. Every `data` field is decoded and appended, next to the JSON itself.
export function historyText(history: unknown): string {
  const decoded: string[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === 'object') {
      for (const [key, value] of Object.entries(node)) {
        if (key === 'data' && typeof value === 'string') decoded.push(Buffer.from(value, 'base64').toString('utf8'));
        else if (key === 'data' && value instanceof Uint8Array) decoded.push(Buffer.from(value).toString('utf8'));
        else walk(value);
      }
    }
  };
  walk(history);
  return `${JSON.stringify(history)}\n${decoded.join('\n')}`;
}
