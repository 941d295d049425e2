import { S3Client } from '@aws-sdk/client-s3';
import { WebClient } from '@slack/web-api';
import { google } from 'googleapis';
import type { EvidenceDeps } from '../activities/evidenceActivities';
import type { ShepherdConfig } from '../config';
import { GitLabForge } from '../forges/gitlab';
import { BitbucketReader } from './readers/bitbucket';
import { GitHubReader } from './readers/github';
import { GitLabReader } from './readers/gitlab';

/**
 * The evidence report's clients, built from the configuration in the worker: the secrets stay
 * in these clients and never enter a workflow, an activity's arguments or Temporal's history.
 */
export function evidenceDepsFrom(config: ShepherdConfig): EvidenceDeps {
  const forges = new Set(config.evidenceRepos.map((r) => r.forge));
  const readers: EvidenceDeps['readers'] = {};
  if (forges.has('bitbucket') && config.bitbucketOauthKey && config.bitbucketOauthSecret) {
    readers.bitbucket = new BitbucketReader({
      apiUrl: config.bitbucketUrl,
      tokenUrl: config.bitbucketTokenUrl,
      key: config.bitbucketOauthKey,
      secret: config.bitbucketOauthSecret,
    });
  }
  if (forges.has('gitlab') && config.gitlabUrl && config.authToken) {
    readers.gitlab = new GitLabReader(new GitLabForge({ url: config.gitlabUrl, token: config.authToken }));
  }
  if (forges.has('github') && config.githubToken) {
    readers.github = new GitHubReader({ apiUrl: config.githubUrl, token: config.githubToken });
  }
  const deps: EvidenceDeps = {
    settings: {
      repos: config.evidenceRepos,
      people: config.evidencePeople,
      includeMerges: config.evidenceIncludeMerges,
      concurrency: config.evidenceConcurrency,
      timeZone: config.evidenceTimezone,
      s3KeyTemplate: config.evidenceS3Key,
      slackChannel: config.evidenceSlackChannel,
      slackAlertChannel: config.evidenceSlackAlertChannel,
    },
    readers,
    dataDir: config.dataDir,
  };
  if (config.evidenceS3Bucket) {
    // The SDK warns on Node 20 that its releases from 2027 on need Node 22; package.json pins a
    // release that runs on Node 20, so the warning says nothing to Shepherd's users. Their own
    // setting wins.
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
    deps.s3 = {
      bucket: config.evidenceS3Bucket,
      client: new S3Client({
        region: config.evidenceS3Region,
        ...(config.evidenceS3Endpoint ? { endpoint: config.evidenceS3Endpoint, forcePathStyle: true } : {}),
        ...(config.evidenceS3AccessKeyId && config.evidenceS3SecretAccessKey
          ? { credentials: { accessKeyId: config.evidenceS3AccessKeyId, secretAccessKey: config.evidenceS3SecretAccessKey } }
          : {}),
        // Streamed bodies: without these, simple S3 servers store the aws-chunked framing.
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
        // Activities retry with backoff; the SDK's own retries would only hide the outage.
        maxAttempts: 1,
      }),
    };
  }
  if (config.evidenceDriveFolder && config.evidenceGoogleClientId && config.evidenceGoogleClientSecret && config.evidenceGoogleRefreshToken) {
    const auth = new google.auth.OAuth2({
      clientId: config.evidenceGoogleClientId,
      clientSecret: config.evidenceGoogleClientSecret,
      endpoints: { oauth2TokenUrl: config.evidenceGoogleTokenUrl },
      // Node's own fetch: gaxios would otherwise load node-fetch by a dynamic import, which
      // CommonJS hosts such as jest refuse. One setting covers the token and the Drive calls.
      transporterOptions: { fetchImplementation: fetch },
    });
    auth.setCredentials({ refresh_token: config.evidenceGoogleRefreshToken });
    const rootUrl = config.evidenceDriveUrl.endsWith('/') ? config.evidenceDriveUrl : `${config.evidenceDriveUrl}/`;
    deps.drive = { client: google.drive({ version: 'v3', auth, retry: false }), rootUrl, parentFolderId: config.evidenceDriveFolder };
  }
  if (config.evidenceSlackToken) {
    const slackApiUrl = config.evidenceSlackUrl.endsWith('/') ? config.evidenceSlackUrl : `${config.evidenceSlackUrl}/`;
    deps.slack = { client: new WebClient(config.evidenceSlackToken, { slackApiUrl, retryConfig: { retries: 0 }, rejectRateLimitedCalls: true }) };
  }
  return deps;
}
