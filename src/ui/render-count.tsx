import { Profiler, memo, type ComponentType } from 'react';

/**
 * Render counting for `npm run bench -- editor`: in a profiling build (`vite build --mode profile`, React's
 * profiling renderer) every node and wire on the canvas sits in a React Profiler, and each commit that renders it
 * is counted by its id. In every other build the components are used as they are: nothing is added.
 */
export const PROFILING = import.meta.env.MODE === 'profile';

const counts = new Map<string, number>();
const record = (id: string) => counts.set(id, (counts.get(id) ?? 0) + 1);
if (PROFILING)
  (window as unknown as { __studioRenders: unknown }).__studioRenders = {
    /** `node:<id>` / `edge:<id>` -> commits that rendered it since the last reset */
    read: () => Object.fromEntries(counts),
    reset: () => counts.clear(),
  };

/** `component` wrapped in a Profiler named `<kind>:<id>` in a profiling build, else `component` itself. */
export function counted<P extends { id?: string }>(
  kind: 'node' | 'edge',
  component: ComponentType<P>,
): ComponentType<P> {
  if (!PROFILING) return component;
  const Inner = component;
  return memo(function Counted(props: P) {
    return (
      <Profiler id={`${kind}:${props.id ?? ''}`} onRender={record}>
        <Inner {...props} />
      </Profiler>
    );
  }) as unknown as ComponentType<P>;
}
