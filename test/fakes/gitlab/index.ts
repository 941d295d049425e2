// Entry point of the fake GitLab for tests and the demo: import from 'test/fakes/gitlab'.
export { FakeGitLab } from './fakeGitLab';
export { startHookReceiver, type HookReceiver, type ReceivedHook } from './hookReceiver';
export { git, runGit, isolatedGitEnv, type GitResult } from './gitClient';
export { ACCESS_LEVEL } from './types';
export type {
  AddProjectOptions,
  AddUserOptions,
  CommitOptions,
  CreateMergeRequestOptions,
  FakeCommit,
  FakeGitLabOptions,
  FakeMergeRequest,
  FakeNote,
  FakePipeline,
  FakePipelineStatus,
  FakeProject,
  FakeUser,
  FinalPipelineStatus,
  HookEvent,
  MergeMethod,
  MergeRequestState,
  PipelinePolicy,
  ProjectSettings,
  PushRule,
  Role,
  SudoRequest,
  WebhookDelivery,
} from './types';
