/** One regular expression from pieces, so that a long expected message can be written over several lines. */
export function joined(...parts: RegExp[]): RegExp {
  return new RegExp(parts.map((p) => p.source).join(''), parts[parts.length - 1].flags);
}
