/** Limits as the user wrote them, for messages ("the staging timeout (15m) expired"). */
export interface Limits {
  timeout: string;
  memory: string;
  output: string;
  disk: string;
}
