/**
 * Every identifier the extension shares with its manifest (package.json `contributes`), in one place.
 * The unit tests cross-check these against the manifest, so a rename cannot drift on one side only.
 */

/** Commands the user can run (palette, context menu, keybindings). */
export const COMMANDS = {
  explainSelection: 'aide.explainSelection',
  fixSelection: 'aide.fixSelection',
  writeTests: 'aide.writeTests',
  addDocs: 'aide.addDocs',
  refactorSelection: 'aide.refactorSelection',
  generateCommitMessage: 'aide.generateCommitMessage',
  newChat: 'aide.newChat',
  stop: 'aide.stop',
  toggleCompletions: 'aide.toggleCompletions',
  selectModel: 'aide.selectModel',
  testConnection: 'aide.testConnection',
  showLogs: 'aide.showLogs',
  setRelayToken: 'aide.setRelayToken',
  signOut: 'aide.signOut',
} as const;

/** Commands used by the extension's own UI (diff title bar, status bar); hidden from the palette. */
export const INTERNAL_COMMANDS = {
  applyProposal: 'aide.proposal.apply',
  discardProposal: 'aide.proposal.discard',
  statusMenu: 'aide.statusMenu',
  /** Run by VS Code when a ghost-text completion is accepted; completes the walkthrough's last step. */
  completionAccepted: 'aide.completionAccepted',
} as const;

export type CommandId = (typeof COMMANDS)[keyof typeof COMMANDS];
export type InternalCommandId = (typeof INTERNAL_COMMANDS)[keyof typeof INTERNAL_COMMANDS];

export const VIEW_CONTAINER_ID = 'aide';
export const CHAT_VIEW_ID = 'aide.chatView';
/** VS Code registers `<viewId>.focus` for every view; executing it reveals the chat. */
export const FOCUS_CHAT_VIEW_COMMAND = `${CHAT_VIEW_ID}.focus`;

/** SecretStorage key of the relay token. Never a setting. */
export const RELAY_TOKEN_SECRET_KEY = 'aide.relayToken';
/** globalState key of the persisted chat sessions. */
export const CHAT_SESSIONS_STATE_KEY = 'aide.chat.sessions';

export const OUTPUT_CHANNEL_NAME = 'AIDE';
/** URI scheme of the read-only documents that hold a proposed edit for the diff view. */
export const PROPOSAL_SCHEME = 'aide-proposal';
/** Context key set once a completion was accepted (walkthrough step "Try a completion"). */
export const COMPLETION_ACCEPTED_CONTEXT_KEY = 'aide.completionAccepted';
/** Context key set while a proposal diff is open, so its Apply/Discard title actions show. */
export const PROPOSAL_CONTEXT_KEY = 'aide.proposalPending';
/** True while a chat answer or a command generation runs: gates the Stop button in the chat view title. */
export const GENERATING_CONTEXT_KEY = 'aide.generating';
