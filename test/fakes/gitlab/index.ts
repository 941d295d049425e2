// Entry point of the fake GitLab for tests and the demo: import from 'test/fakes/gitlab'.
export { FakeGitLab } from './fakeGitLab';
export { startHookReceiver, type HookReceiver, type ReceivedHook } from './hookReceiver';
export { git, runGit, isolatedGitEnv, type GitResult } from './gitClient';
export { ACCESS_LEVEL } from './types';
export type {
  AddGroupOptions,
  AddProjectOptions,
  ApiRequestRecord,
  BranchAccess,
  AddUserOptions,
  CommitOptions,
  CreateMergeRequestOptions,
  FakeCommit,
  FakeGitLabOptions,
  FakeMergeOptions,
  FakeMergeRequest,
  FakeNote,
  FakePipeline,
  FakePipelineStatus,
  FakeProject,
  FakeUser,
  FinalPipelineStatus,
  HookDeliveryOptions,
  HookEvent,
  MergeErrorStyle,
  MergeMethod,
  MergeRequestState,
  PipelineKind,
  PipelineMode,
  PipelinePolicy,
  ProjectSettings,
  ProtectedBranchOptions,
  PushRule,
  Role,
  SudoRequest,
  Visibility,
  WebhookDelivery,
} from './types';
