/** Collection patterns of the config: an exact readable id, or a prefix followed by a trailing `*`. */
export function matchesPattern(pattern: string, value: string): boolean {
  return pattern.endsWith('*') ? value.startsWith(pattern.slice(0, -1)) : pattern === value;
}
