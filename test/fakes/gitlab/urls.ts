// The web addresses GitLab puts into API answers and hooks, in one place so they always agree.
import type { ProjectRec, UserRec } from './store';

export const projectWebUrl = (base: string, p: ProjectRec): string => `${base}/${p.path}`;
export const gitHttpUrl = (base: string, p: ProjectRec): string => `${base}/${p.path}.git`;
export const gitSshUrl = (base: string, p: ProjectRec): string => `git@${new URL(base).hostname}:${p.path}.git`;
/** With the fake's SSH server on a random port: the ssh:// form, which (unlike scp-like) has a port. */
export const gitSshPortUrl = (port: number, p: ProjectRec): string => `ssh://git@127.0.0.1:${port}/${p.path}.git`;
export const mrWebUrl = (base: string, p: ProjectRec, iid: number): string =>
  `${base}/${p.path}/-/merge_requests/${iid}`;
export const pipelineWebUrl = (base: string, p: ProjectRec, id: number): string =>
  `${base}/${p.path}/-/pipelines/${id}`;
export const commitWebUrl = (base: string, p: ProjectRec, sha: string): string => `${base}/${p.path}/-/commit/${sha}`;
export const userWebUrl = (base: string, u: UserRec): string => `${base}/${u.username}`;
export const avatarUrl = (base: string, u: UserRec): string =>
  `${base}/uploads/-/system/user/avatar/${u.id}/avatar.png`;
