import type { MigrationInterface } from 'typeorm';
import { CreateAccounts1795323166719 } from './1795323166719-CreateAccounts.js';
import { CreatePersonas1795324226093 } from './1795324226093-CreatePersonas.js';
import { CreateConversations1795324296241 } from './1795324296241-CreateConversations.js';
import { CreateUsageLedger1795325273227 } from './1795325273227-CreateUsageLedger.js';
import { IndexStreamingReplies1796081607956 } from './1796081607956-IndexStreamingReplies.js';
import { ChatTurnStatements1796091191009 } from './1796091191009-ChatTurnStatements.js';
import { ConversationTitleSource1796100501221 } from './1796100501221-ConversationTitleSource.js';
import { CreateMedia1796105044140 } from './1796105044140-CreateMedia.js';
import { MediaInChat1796112042287 } from './1796112042287-MediaInChat.js';
import { MediaUsage1796112702498 } from './1796112702498-MediaUsage.js';
import { Voice1796124000000 } from './1796124000000-Voice.js';
import { AvatarSessions1796174756367 } from './1796174756367-AvatarSessions.js';
import { OpenAIResponses1796191240216 } from './1796191240216-OpenAIResponses.js';

/**
 * Every migration, oldest first. `npm run migration:generate -- <Name>` writes a new file
 * and adds it here; TypeORM runs the ones not yet recorded in the `migrations` table.
 */
export const MIGRATIONS: ReadonlyArray<new () => MigrationInterface> = [
  CreateAccounts1795323166719,
  CreatePersonas1795324226093,
  CreateConversations1795324296241,
  CreateUsageLedger1795325273227,
  IndexStreamingReplies1796081607956,
  ChatTurnStatements1796091191009,
  ConversationTitleSource1796100501221,
  CreateMedia1796105044140,
  MediaInChat1796112042287,
  MediaUsage1796112702498,
  Voice1796124000000,
  AvatarSessions1796174756367,
  OpenAIResponses1796191240216,
];
