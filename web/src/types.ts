/** Shapes of the API answers the console reads (functions/api/README.md, shared/store/model.ts). */

export interface Problem {
  line: number;
  col: number;
  severity: 'error' | 'warning';
  code: string;
  message: string;
  path: string;
}

export interface FlowSummary {
  flowId: string;
  liveVersion?: number;
  latestVersion?: number;
  hasDraft: boolean;
}

export interface FlowDraft {
  flowId: string;
  source: string;
  updatedBy: string;
  updatedAt: string;
  etag: string;
}

export interface FlowVersion {
  flowId: string;
  version: number;
  source: string;
  publishedBy: string;
  publishedAt: string;
}

export interface VersionSummary {
  version: number;
  publishedBy: string;
  publishedAt: string;
  live: boolean;
}

export interface FlowPointer {
  liveVersion: number;
  latestVersion: number;
  etag: string;
}

export interface FlowDetail {
  flowId: string;
  draft: FlowDraft | null;
  published: FlowVersion | null;
  pointer: FlowPointer | null;
  versions: VersionSummary[];
  problems: Problem[];
}

export interface TestReport {
  passed: boolean;
  total: number;
  failed: number;
  results: {
    name: string;
    passed: boolean;
    failures: string[];
    path: string[];
    prompts: string[];
    outcome: string;
  }[];
  coverage: { edges: number; covered: string[]; uncovered: string[] };
}

export interface CallRecord {
  callId: string;
  from: string;
  to: string;
  flowId?: string;
  flowVersion?: number;
  startedAt: string;
  answeredAt?: string;
  endedAt?: string;
  outcome?: { kind: string; step?: string; target?: string; reason?: string };
  path: string[];
  status: 'active' | 'ended';
}

export interface TimelineEvent {
  id: string;
  at: string;
  kind: string;
  durationMs?: number;
  data: Record<string, unknown>;
}

export interface CallDetail {
  call: CallRecord;
  timeline: TimelineEvent[];
  orchestration: {
    instanceId: string;
    runtimeStatus: string;
    customStatus?: unknown;
    createdTime?: string;
    lastUpdatedTime?: string;
    history?: Record<string, unknown>[];
  } | null;
}

export interface FlowMetrics {
  flowId: string;
  version: number | null;
  calls: number;
  steps: Record<string, number>;
  branches: Record<string, number>;
}

export interface NumberBinding {
  number: string;
  flowId: string;
}

export interface Me {
  user: { id: string; name?: string; username?: string };
  roles: string[];
  permissions: string[];
}

/** A test call as `GET /api/testcalls/{callId}` shows it (the simulator's view of the caller). */
export interface TestCallView {
  callId: string;
  state: string;
  transcript: ({ at: number; type: string } & Record<string, unknown>)[];
  outcome: { reason: string } | null;
}
