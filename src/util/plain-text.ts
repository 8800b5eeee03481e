/**
 * Terminal control sequences: CSI (`ESC [ … final`, colours and cursor moves), OSC (`ESC ] … BEL`
 * or `ESC \`, titles and links), the C1 CSI byte, and two-byte `ESC x` escapes.
 */
// eslint-disable-next-line no-control-regex
const SEQUENCES = /\x1b\[[0-?]*[ -/]*[@-~]|\x9b[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-Z\\-_]?/g;
// eslint-disable-next-line no-control-regex
const CONTROLS = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/g;

/**
 * Text from a buildpack or another program made safe for one `error:` line: its colours and other
 * escapes removed (the logs keep them), and any other control character (a carriage return that
 * would overwrite the line, a bell) dropped. Newlines and tabs stay.
 */
export function plainText(text: string): string {
  return text.replace(SEQUENCES, '').replace(CONTROLS, '');
}
