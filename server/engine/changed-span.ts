/**
 * The one edit that turns `before` into `after`, leaving out their common prefix and suffix, in offsets of `before`;
 * null when they are equal. It never splits a \r\n: positions on either side of it are the same line break. For
 * re-parsing incrementally where a text was rebuilt rather than edited (a notebook's joined cells, a file with its
 * damaged lines blanked).
 */
export function changedSpan(before: string, after: string): { start: number; end: number; text: string } | null {
  if (before === after) return null;
  const limit = Math.min(before.length, after.length);
  let prefix = 0;
  while (prefix < limit && before.charCodeAt(prefix) === after.charCodeAt(prefix)) prefix++;
  let suffix = 0;
  while (
    suffix < limit - prefix &&
    before.charCodeAt(before.length - 1 - suffix) === after.charCodeAt(after.length - 1 - suffix)
  )
    suffix++;
  const splitsCrLf = (offset: number) => before.charCodeAt(offset - 1) === 13 && before.charCodeAt(offset) === 10;
  if (prefix > 0 && splitsCrLf(prefix)) prefix--;
  if (suffix > 0 && splitsCrLf(before.length - suffix)) suffix--;
  return { start: prefix, end: before.length - suffix, text: after.slice(prefix, after.length - suffix) };
}
