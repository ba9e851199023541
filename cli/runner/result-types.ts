/**
 * What a test's request answered, as the assertions read it, and one failed assertion: the two
 * shapes every part of the runner shares (assertions, schema checks, snapshots, the report).
 */
export interface ToolResult {
  content?: Array<{ type: string; text?: string; [k: string]: unknown }>;
  structuredContent?: Record<string, unknown>;
  isError?: boolean;
}

export interface AssertionFailure {
  /** The assertion key, e.g. `text_contains` or `json $.sum`. */
  assertion: string;
  message: string;
}
