// The one symlink resolver. Whether a path or a link stays inside a tree is decided here, by
// following every link the way the kernel does (component by component, each link's target
// spliced in where the link stood, up to 40 links), against the WHOLE tree, never link by link
// on its own: `a/l1 -> ..` and `l2 -> a/l1/..` each look harmless, but l2 leads one level above
// the root. Used by capture (which links lead outside: recorded as data, reported), the
// manifest validator (schema 1 promises that every link stays inside), restore (every path it
// writes must reach its place through directories only), and the plugin scanner (a plugin's
// links must stay inside the plugin). Nothing here touches a file system: the caller's TreeView
// answers what is at a path (the manifest's entries, or lstat of a plugin folder).

/** What is at a tree path: `path` is relative, normalized, "." for the root. */
export type TreeNode = { readonly kind: 'dir' | 'other' | 'missing' } | { readonly kind: 'symlink'; readonly target: string };

export interface TreeView {
  lookup(path: string): TreeNode;
}

export interface ResolveOptions {
  /**
   * Where the tree is mounted as the container sees it (a volume's mount target): an absolute
   * link target under it resolves inside. Without it every absolute target leads outside.
   */
  readonly mountTarget?: string;
  /** Links followed before giving up (Linux: 40, then ELOOP). */
  readonly maxHops?: number;
}

export type Resolution =
  | { readonly inside: true; /** Where it ends, "." for the root. */ readonly path: string; /** Links followed on the way. */ readonly through: readonly string[] }
  | { readonly inside: false; readonly why: 'above-root' | 'absolute' | 'loop'; readonly through: readonly string[] };

const MAX_HOPS = 40;

/** Where the symlink at `linkPath` with this target leads. */
export function resolveLink(tree: TreeView, linkPath: string, target: string, options: ResolveOptions = {}): Resolution {
  const parent = linkPath.includes('/') ? linkPath.slice(0, linkPath.lastIndexOf('/')).split('/') : [];
  return walk(tree, parent, target, options);
}

/** Where a path from the root leads when every link on it (the last component too) is followed. */
export function resolvePath(tree: TreeView, path: string, options: ResolveOptions = {}): Resolution {
  return walk(tree, [], path === '.' ? '' : path, options);
}

/** A TreeView over a list of entries (a manifest volume): hard links are what they link to. */
export function treeOfEntries(entries: Iterable<{ readonly path: string; readonly type: string; readonly target?: string }>): TreeView {
  const byPath = new Map<string, { readonly type: string; readonly target?: string }>();
  for (const e of entries) byPath.set(e.path, e);
  return {
    lookup(path) {
      let e = byPath.get(path === '' ? '.' : path);
      if (e?.type === 'hardlink' && e.target !== undefined) e = byPath.get(e.target);
      if (!e) return { kind: 'missing' };
      if (e.type === 'dir') return { kind: 'dir' };
      if (e.type === 'symlink' && e.target !== undefined) return { kind: 'symlink', target: e.target };
      return { kind: 'other' };
    },
  };
}

function walk(tree: TreeView, start: readonly string[], target: string, options: ResolveOptions): Resolution {
  const through: string[] = [];
  const maxHops = options.maxHops ?? MAX_HOPS;
  let segments = [...start];
  let pending: string[];
  if (target.startsWith('/')) {
    const rest = underMount(target, options.mountTarget);
    if (rest === undefined) return { inside: false, why: 'absolute', through };
    segments = [];
    pending = rest;
  } else {
    pending = target.split('/');
  }
  // Once a component does not exist (or is not a directory), nothing below it can be a link:
  // the rest resolves lexically. (The kernel would fail there; judging it as if it went on is
  // the cautious reading.)
  let unresolved = false;
  while (pending.length > 0) {
    const part = pending.shift() as string;
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (segments.length === 0) return { inside: false, why: 'above-root', through };
      segments.pop();
      continue;
    }
    segments.push(part);
    if (unresolved) continue;
    const here = segments.join('/');
    const node = tree.lookup(here);
    if (node.kind === 'missing' || node.kind === 'other') {
      unresolved = pending.some((p) => p !== '' && p !== '.');
      continue;
    }
    if (node.kind !== 'symlink') continue;
    if (through.length >= maxHops) return { inside: false, why: 'loop', through };
    through.push(here);
    segments.pop();
    if (node.target.startsWith('/')) {
      const rest = underMount(node.target, options.mountTarget);
      if (rest === undefined) return { inside: false, why: 'absolute', through };
      segments = [];
      pending = [...rest, ...pending];
    } else {
      pending = [...node.target.split('/'), ...pending];
    }
  }
  return { inside: true, path: segments.length === 0 ? '.' : segments.join('/'), through };
}

/** The components of an absolute target below the mount target, or undefined when it is elsewhere. */
function underMount(target: string, mountTarget: string | undefined): string[] | undefined {
  if (mountTarget === undefined) return undefined;
  if (target !== mountTarget && !target.startsWith(`${mountTarget}/`)) return undefined;
  return target.slice(mountTarget.length).split('/');
}

/** The symlinks of a volume's entries that lead outside it, judged through every link of the whole tree. */
export function linksLeaving(entries: readonly { readonly path: string; readonly type: string; readonly target?: string }[], mountTarget: string): { path: string; target: string; through: readonly string[] }[] {
  const tree = treeOfEntries(entries);
  const out: { path: string; target: string; through: readonly string[] }[] = [];
  for (const e of entries) {
    if (e.type !== 'symlink' || e.target === undefined) continue;
    const resolved = resolveLink(tree, e.path, e.target, { mountTarget });
    if (!resolved.inside) out.push({ path: e.path, target: e.target, through: resolved.through });
  }
  return out;
}
