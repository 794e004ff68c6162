/**
 * What a headless run may read (CLI, sweeps, queue workers). A graph is untrusted input: a shared
 * file must not make the runner read any local file or fetch any URL. Allowed: the bundled models
 * and examples (public/), the graph's own folder, folders named by `--allow-path`, URLs (http,
 * https) only with `--allow-url`, and any value the user typed on the command line (`--set`,
 * `--grid`): those are the user's own. data: URLs carry their bytes and are always allowed. A Hugging Face repo id
 * (`org/name[@revision]`, where no local folder has that path) is read through the hub cache (hub.ts) only with
 * `--allow-hub`, or where the user typed that repo id.
 * Paths are compared after resolving symlinks, so a link inside an allowed folder cannot lead out.
 */
import { existsSync, realpathSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { localPathOf, PUBLIC_DIR, readBytesNode, withFileFacts } from './node-services';
import { createHubReader, parseHubRef, repoLabel, type HubOptions, type HubRef } from './hub';
import { isFolderReference } from './model-folder-ref';

export interface AccessPolicy {
  /** The folder of the graph file being run (relative references resolve here first). */
  graphDir?: string;
  /** Further folders the user allowed (`--allow-path`). */
  allowPaths?: string[];
  /** Whether http(s) URLs may be fetched (`--allow-url`). */
  allowUrls?: boolean;
  /** Whether Hugging Face repo ids may be fetched (`--allow-hub`). */
  allowHub?: boolean;
  /** Values the user gave on the command line: always allowed. */
  userValues?: string[];
}

export class AccessDenied extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AccessDenied';
  }
}

function real(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return resolve(path);
  }
}

function inside(path: string, root: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel) && !rel.startsWith(sep));
}

const short = (s: string) => (s.length > 120 ? `${s.slice(0, 117)}...` : s);

/** The folders a policy allows, resolved (for messages and checks). */
export function allowedRoots(policy: AccessPolicy): string[] {
  const typedFolders = (policy.userValues ?? []).filter((v) => v.endsWith(sep));
  return [PUBLIC_DIR, ...(policy.graphDir ? [policy.graphDir] : []), ...(policy.allowPaths ?? []), ...typedFolders].map(
    real,
  );
}

/**
 * Where a reference points, resolved as the reader will resolve it: relative paths against the
 * graph's folder, then the working directory, then the bundled public folder.
 */
export function resolveReference(src: string, policy: AccessPolicy): string {
  const path = src.startsWith('file:') ? fileURLToPath(src) : src;
  if (isAbsolute(path)) return path;
  const candidates = [...(policy.graphDir ? [join(policy.graphDir, path)] : []), resolve(path), join(PUBLIC_DIR, path)];
  return candidates.find((c) => existsSync(c)) ?? candidates[0]!;
}

/**
 * The hub repo, revision and file a reference names: one with a repo id's form (`org/name[@rev][/file]`) whose
 * first folder is not a local one (a local folder of that path wins).
 */
export function hubReference(src: string, policy: AccessPolicy): HubRef | undefined {
  const ref = parseHubRef(src);
  if (!ref || ref.file === '' || existsSync(resolveReference(ref.repo.split('/')[0]!, policy))) return undefined;
  return ref;
}

/** Throws AccessDenied when a policy forbids a reference (without reading anything). */
export function checkAccess(src: string, policy: AccessPolicy): void {
  if (/^data:/i.test(src)) return;
  // a folder picked in the editor lives in that browser tab: nothing here can read it, however it is allowed
  if (isFolderReference(src))
    throw new AccessDenied(
      `${short(src)}: a folder picked in the editor stays in that browser (its engine reads it); headless or on a ` +
        'server, name the folder by its path instead (on a server, one under a serve --allow-path folder)',
    );
  if (policy.userValues?.includes(src)) return;
  const hub = hubReference(src, policy);
  if (hub) {
    const typed = (policy.userValues ?? []).map((v) => parseHubRef(v)).filter((r) => r && r.file === '');
    if (policy.allowHub || typed.some((r) => r!.repo === hub.repo && r!.revision === hub.revision)) return;
    throw new AccessDenied(
      `${short(src)}: there is no local folder ${short(hub.repo.split('/')[0]!)}, and a graph's Hugging Face repos ` +
        `(${short(repoLabel(hub))}) are not fetched headless; run with --allow-hub to allow them`,
    );
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(src) && !/^file:/i.test(src)) {
    if (!/^https?:\/\//i.test(src)) throw new AccessDenied(`${short(src)}: only http and https URLs can be read`);
    if (!policy.allowUrls)
      throw new AccessDenied(
        `${short(src)}: a graph's URLs are not fetched headless; run with --allow-url to allow them`,
      );
    return;
  }
  const target = real(resolveReference(src, policy));
  if (allowedRoots(policy).some((root) => inside(target, root))) return;
  throw new AccessDenied(
    `${short(src)} is outside the folders a graph may read (the bundled models, the graph's ` +
      `folder${policy.allowPaths?.length ? ', --allow-path folders' : ''}); run with --allow-path <folder> to allow it`,
  );
}

/**
 * A reader that applies the policy before reading; repo ids go through the hub cache (`hub`: its options). Its facts
 * and local paths (withFileFacts) apply the same policy: a file's sha256 is said only where it may be read.
 */
export function policyReader(policy: AccessPolicy, hub: HubOptions = {}) {
  let reader: ReturnType<typeof createHubReader> | undefined;
  const read = async (src: string) => {
    checkAccess(src, policy);
    const ref = hubReference(src, policy);
    if (ref) return (reader ??= createHubReader(hub)).read(ref);
    if (/^(https?|data):/i.test(src)) return readBytesNode(src);
    return readBytesNode(resolveReference(src, policy));
  };
  return withFileFacts(read, async (src) => {
    checkAccess(src, policy);
    const ref = hubReference(src, policy);
    if (ref) return (reader ??= createHubReader(hub)).localPath(ref);
    if (/^(https?|data):/i.test(src)) return undefined;
    return localPathOf(resolveReference(src, policy));
  });
}

/** The policy of a CLI run of `file`, from its flags. */
export function cliPolicy(
  file: string | undefined,
  allowPaths: string[],
  allowUrls: boolean,
  userValues: string[],
  allowHub = false,
): AccessPolicy {
  return {
    graphDir: file ? dirname(resolve(file)) : undefined,
    allowPaths: allowPaths.map((p) => resolve(p)),
    allowUrls,
    allowHub,
    userValues,
  };
}

/**
 * The references a user typed (`--set`, `--grid` values), as allowed values: each value itself,
 * and for a local path its folder too (a manifest given on the command line names files beside it).
 */
export function userValues(values: string[]): string[] {
  const out = new Set<string>();
  for (const v of values) {
    out.add(v);
    if (!/^[a-z][a-z0-9+.-]*:/i.test(v) && (v.includes('/') || v.includes(sep)))
      out.add(`${dirname(resolve(v))}${sep}`);
  }
  return [...out];
}
