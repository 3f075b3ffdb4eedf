/** Entry point of the chat webview bundle (dist/webview/chat.js + chat.css). */
import './chat.css';
import { startChatView } from './chat/app';
import { connectToHost } from './chat/vscodeApi';

startChatView(connectToHost());
