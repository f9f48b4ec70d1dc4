/**
 * Resolves the CloudFormation intrinsics a synthesized state machine definition contains (`Fn::Join`,
 * `Ref`, `Fn::GetAtt`) into plain values, so the definition the stack deploys can be executed locally.
 * Pseudo parameters get local stand-ins; every other reference must be in `refs`.
 */
export const LOCAL_ACCOUNT = '000000000000';
export const LOCAL_REGION = 'local';

const PSEUDO: Record<string, string> = {
  'AWS::Partition': 'aws',
  'AWS::Region': LOCAL_REGION,
  'AWS::AccountId': LOCAL_ACCOUNT,
  'AWS::URLSuffix': 'amazonaws.com',
};

export function resolveIntrinsics(value: unknown, refs: Readonly<Record<string, string>>): unknown {
  if (Array.isArray(value)) return value.map((v) => resolveIntrinsics(v, refs));
  if (typeof value !== 'object' || value === null) return value;
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 1) {
    const [[key, arg]] = entries as [[string, unknown]];
    if (key === 'Ref') return lookup(String(arg), refs);
    if (key === 'Fn::GetAtt') return lookup((arg as string[]).join('.'), refs);
    if (key === 'Fn::Join') {
      const [separator, parts] = arg as [string, unknown[]];
      return parts.map((p) => String(resolveIntrinsics(p, refs))).join(separator);
    }
  }
  return Object.fromEntries(entries.map(([k, v]) => [k, resolveIntrinsics(v, refs)]));
}

function lookup(name: string, refs: Readonly<Record<string, string>>): string {
  const value = refs[name] ?? PSEUDO[name];
  if (value === undefined) throw new Error(`no local value for ${name}`);
  return value;
}
