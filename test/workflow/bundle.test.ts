// What workflow code imports is evaluated again for every workflow a worker starts (Temporal's
// reusable VM): Temporal's protobuf definitions there cost about 70 ms of CPU per workflow.
import { workflowBundle } from '../helpers/temporal';

jest.setTimeout(120_000);

test('the workflow bundle does not carry the protobuf definitions of @temporalio/proto', async () => {
  const { code } = await workflowBundle();
  expect(code).toContain('evidenceReportWorkflow');
  expect(code).not.toContain('@temporalio/proto/protos/json-module');
});
